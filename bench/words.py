"""The words the benchmark's catalog and patrons are made of, as Python lists and as
PostgreSQL array literals for the generating SQL."""

# The catalog's words: titles are drawn from them, so that a two-word search finds a few
# dozen titles among 100,000, as in a real catalog.
WORDS = (  # noqa: SIM905 (a list of words is easier to read as text)
    "river garden night house winter summer light shadow stone water fire island city "
    "road letter daughter son mother father king queen war peace love death life time "
    "story secret history journey dream heart sea mountain forest bird wolf horse dog cat "
    "moon sun star sky rain snow wind storm spring autumn morning evening silence music "
    "song dance book library school teacher doctor garden kitchen bread salt gold silver "
    "iron glass paper ship train station bridge tower wall door window room table chair "
    "bed lamp mirror clock key lock box map world country village farm field harvest "
    "orchard apple lemon olive wine coffee tea sugar honey milk friend stranger enemy "
    "hero witness soldier sailor pilot painter writer poet singer child children family "
    "people nation empire republic revolution memory promise lie truth justice law crime "
    "murder mystery detective guide introduction handbook practical modern complete short "
    "brief new old little great last first lost hidden silent broken golden wild dark "
    "bright red blue green black white cooking gardening travel science mathematics "
    "physics chemistry biology medicine health economics politics philosophy religion art "
    "painting photography architecture design computer programming networks databases "
    "language grammar spanish english french german poems stories essays letters diaries "
    "tales legends myths voyage adventure return flight escape rise fall beginning end "
    "edge centre border frontier desert jungle ocean lake valley canyon cave temple "
    "castle palace prison hospital market street square park harbour coast shore beach "
    "wave tide current amor casa noche vida muerte tiempo historia ciudad mar cielo "
    "tierra agua fuego luz sombra sol luna estrella camino puerto pueblo familia madre "
    "padre hijo hija guerra paz corazon sueno memoria secreto silencio viento lluvia"
).split()
SURNAMES = (  # noqa: SIM905 (a list of words is easier to read as text)
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright "
    "Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell "
    "Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins "
    "Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
    "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez "
    "Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel "
    "Myers Long Ross Foster Jimenez"
).split()
GIVEN = (  # noqa: SIM905 (a list of words is easier to read as text)
    "Ada Alan Alice Ana Anne Ben Carla Carlos Clara Daniel Diego Elena Emma Eva Frank "
    "Grace Hugo Ines Isabel Jack Jane John Jose Juan Julia Laura Leo Lucia Luis Maria "
    "Mark Marta Mary Miguel Nora Omar Pablo Paul Rosa Ruth Sara Sofia Tom Victor Zoe"
).split()


def _sql_array(values: tuple[str, ...] | list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]"


WORDS_SQL = _sql_array(WORDS)
SURNAMES_SQL = _sql_array(SURNAMES)
GIVEN_SQL = _sql_array(GIVEN)
