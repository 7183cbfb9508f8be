"""The made-up names, titles and branches of the demo library (`calumet/demo.py`)."""

from staff.roles import CIRCULATION_STAFF, LIBRARIAN, LIBRARY_ADMINISTRATOR

DEMO_PASSWORD = "calumet-demo"  # noqa: S105 - published demo credential
DEMO_CARDS = (
    # card number, PIN, what the card shows
    (
        "21234000000001",
        "2468",
        "current loans (one overdue), a hold on the shelf, a fine, a program",
    ),
    ("21234000000002", "1357", "other current loans"),
)
#: The demo's SIP2 terminals (name, login, what it may do), all at the Central Library,
#: with one published secret: `make run` serves SIP2 on 127.0.0.1:6001 (README).
DEMO_SIP2_SECRET = "calumet-demo-sip2"  # noqa: S105 - published demo credential
DEMO_TERMINALS = (
    ("Self-check kiosk 1", "kiosk1", {"may_patron": True, "may_circulate": True}),
    ("PC reservation", "pcres", {"may_patron": True}),
)
STAFF = (
    ("director", "Dana", "Okafor", LIBRARY_ADMINISTRATOR),
    ("librarian", "Luis", "Ferreira", LIBRARIAN),
    ("clerk", "Casey", "Morgan", CIRCULATION_STAFF),
)

BRANCHES = (
    ("main", "Central Library", "100 Calumet Avenue"),
    ("east", "Eastside Branch", "2400 East 106th Street"),
    ("river", "Riverside Branch", "15 Harbor Drive"),
)
#: Each branch's opening hours (the library calendar): (first weekday, last weekday, opens,
#: closes), Monday = 0; a weekday not listed is closed.
BRANCH_HOURS = {
    "main": ((0, 5, "09:00", "20:00"), (6, 6, "13:00", "17:00")),  # every day, Sunday short
    "east": ((0, 4, "10:00", "19:00"), (5, 5, "10:00", "16:00")),  # closed Sunday
    "river": ((1, 5, "10:00", "18:00"),),  # closed Sunday and Monday
}
#: Closed days of all branches every year: (month, day, reason). Thanksgiving moves; the
#: demo enters it for this year and the next (`calumet/demo_calendar.py`).
YEARLY_CLOSED_DAYS = (
    (1, 1, "New Year's Day"),
    (7, 4, "Independence Day"),
    (12, 25, "Christmas Day"),
)
THANKSGIVING = "Thanksgiving Day"
#: One branch's own closed day: (branch code, reason), on a Wednesday two weeks or more ahead.
BRANCH_CLOSED_DAY = ("river", "Staff training day")

# Public-domain classics, so the demo catalog reads like a real one.
CLASSICS = (
    ("Pride and Prejudice", "Austen, Jane", 1813),
    ("Emma", "Austen, Jane", 1815),
    ("Persuasion", "Austen, Jane", 1817),
    ("Middlemarch", "Eliot, George", 1871),
    ("Silas Marner", "Eliot, George", 1861),
    ("Great Expectations", "Dickens, Charles", 1861),
    ("Bleak House", "Dickens, Charles", 1853),
    ("A Tale of Two Cities", "Dickens, Charles", 1859),
    ("Moby-Dick", "Melville, Herman", 1851),
    ("The Scarlet Letter", "Hawthorne, Nathaniel", 1850),
    ("Little Women", "Alcott, Louisa May", 1868),
    ("The Adventures of Huckleberry Finn", "Twain, Mark", 1884),
    ("The Adventures of Tom Sawyer", "Twain, Mark", 1876),
    ("Jane Eyre", "Brontë, Charlotte", 1847),
    ("Wuthering Heights", "Brontë, Emily", 1847),
    ("Frankenstein", "Shelley, Mary", 1818),
    ("Dracula", "Stoker, Bram", 1897),
    ("The Picture of Dorian Gray", "Wilde, Oscar", 1890),
    ("The Importance of Being Earnest", "Wilde, Oscar", 1895),
    ("Adventures of Sherlock Holmes", "Doyle, Arthur Conan", 1892),
    ("The Hound of the Baskervilles", "Doyle, Arthur Conan", 1902),
    ("The Time Machine", "Wells, H. G.", 1895),
    ("The War of the Worlds", "Wells, H. G.", 1898),
    ("Twenty Thousand Leagues Under the Seas", "Verne, Jules", 1870),
    ("Around the World in Eighty Days", "Verne, Jules", 1872),
    ("The Count of Monte Cristo", "Dumas, Alexandre", 1844),
    ("The Three Musketeers", "Dumas, Alexandre", 1844),
    ("Les Misérables", "Hugo, Victor", 1862),
    ("Anna Karenina", "Tolstoy, Leo", 1878),
    ("War and Peace", "Tolstoy, Leo", 1869),
    ("Crime and Punishment", "Dostoevsky, Fyodor", 1866),
    ("The Brothers Karamazov", "Dostoevsky, Fyodor", 1880),
    ("Madame Bovary", "Flaubert, Gustave", 1857),
    ("The Awakening", "Chopin, Kate", 1899),
    ("The Jungle", "Sinclair, Upton", 1906),
    ("My Ántonia", "Cather, Willa", 1918),
    ("O Pioneers!", "Cather, Willa", 1913),
    ("The Age of Innocence", "Wharton, Edith", 1920),
    ("The House of Mirth", "Wharton, Edith", 1905),
    ("Sister Carrie", "Dreiser, Theodore", 1900),
    ("The Call of the Wild", "London, Jack", 1903),
    ("White Fang", "London, Jack", 1906),
    ("Winesburg, Ohio", "Anderson, Sherwood", 1919),
    ("Main Street", "Lewis, Sinclair", 1920),
    ("The Souls of Black Folk", "Du Bois, W. E. B.", 1903),
    ("Up from Slavery", "Washington, Booker T.", 1901),
    ("Narrative of the Life of Frederick Douglass", "Douglass, Frederick", 1845),
    ("Walden", "Thoreau, Henry David", 1854),
    ("Leaves of Grass", "Whitman, Walt", 1855),
    ("The Secret Garden", "Burnett, Frances Hodgson", 1911),
    ("Anne of Green Gables", "Montgomery, L. M.", 1908),
    ("Alice's Adventures in Wonderland", "Carroll, Lewis", 1865),
    ("The Wonderful Wizard of Oz", "Baum, L. Frank", 1900),
    ("Treasure Island", "Stevenson, Robert Louis", 1883),
    ("Kidnapped", "Stevenson, Robert Louis", 1886),
    ("The Jungle Book", "Kipling, Rudyard", 1894),
    ("Peter Pan", "Barrie, J. M.", 1911),
    ("Heart of Darkness", "Conrad, Joseph", 1899),
    ("The Wind in the Willows", "Grahame, Kenneth", 1908),
    ("Ethan Frome", "Wharton, Edith", 1911),
)

#: Spanish-language titles (language "spa", as MARC 008/35-37 gives it; every other title
#: of the demo is "eng"), so that the catalog's language facet has two languages.
SPANISH_CLASSICS = (
    ("Cien años de soledad", "García Márquez, Gabriel", 1967),
    ("El amor en los tiempos del cólera", "García Márquez, Gabriel", 1985),
    ("Don Quijote de la Mancha", "Cervantes Saavedra, Miguel de", 1605),
    ("La casa de los espíritus", "Allende, Isabel", 1982),
    ("Pedro Páramo", "Rulfo, Juan", 1955),
    ("Ficciones", "Borges, Jorge Luis", 1944),
    ("Rayuela", "Cortázar, Julio", 1963),
    ("Como agua para chocolate", "Esquivel, Laura", 1989),
    ("La sombra del viento", "Ruiz Zafón, Carlos", 2001),
    ("Marianela", "Pérez Galdós, Benito", 1878),
    ("Platero y yo", "Jiménez, Juan Ramón", 1914),
    ("La casa en Mango Street", "Cisneros, Sandra", 1984),
)

SUBJECTS = (
    "Gardening",
    "Birds",
    "Bread",
    "Chess",
    "Watercolor",
    "Bicycles",
    "Lake Michigan",
    "Stars",
    "Knots",
    "Beekeeping",
    "Pottery",
    "Jazz",
    "Rivers",
    "Railroads",
    "Soups",
    "Maps",
    "Trees",
    "Quilting",
    "Woodworking",
    "Photography",
    "Canoeing",
    "Mushrooms",
)
FORMS = (
    "A Beginner's Guide to {s}",
    "The Little Book of {s}",
    "{s} for Everyone",
    "A Short History of {s}",
    "{s}: A Field Guide",
    "Everyday {s}",
    "The Joy of {s}",
    "Understanding {s}",
    "{s} in the Midwest",
    "Fifty Projects: {s}",
)
SURNAMES = (
    "Adeyemi",
    "Bauer",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fitzgerald",
    "Gutiérrez",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Mendoza",
    "Nakamura",
    "O'Brien",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Underwood",
    "Vasquez",
    "Walsh",
    "Yilmaz",
    "Zhang",
)
STREETS = ("Ewing Ave", "Baltimore Ave", "Commercial Ave", "Houston Ave", "Avenue O")
GIVEN = (
    "Alex",
    "Bea",
    "Chris",
    "Dee",
    "Eli",
    "Fran",
    "Gus",
    "Hana",
    "Ivo",
    "Jo",
    "Kai",
    "Lena",
    "Max",
    "Nia",
    "Omar",
    "Pia",
    "Ray",
    "Sana",
    "Theo",
    "Uma",
    "Vic",
    "Wren",
    "Yara",
    "Zoe",
)
