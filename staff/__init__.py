"""Staff accounts' second factor: TOTP enrolment, backup codes and the check at sign-in
that the admin site asks for (`staff/site.py`). It knows no app of ours."""
