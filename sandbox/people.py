"""Reference data for people: names, departments with job titles, offices and devices."""

from __future__ import annotations

from typing import NamedTuple


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GIVEN_NAMES = _words(
    "Adele Alex Alan Allan Amber Ana Andre Angela Anna Aria Ben Bianca Brian Bruno Carla Carlos "
    "Chloe Chris Claire Daniel Dara David Diego Elena Eli Emily Emma Eric Erin Ethan Eva Fatima "
    "Felix Fiona Frank Gabriel Grace Grady Hana Harper Henry Hugo Ian Irene Isaac Isabel Ivan Jack "
    "James Jana Jason Jessica Joni Jonas Jordan Julia Kai Karen Kevin Kim Laura Lee Leo Lidia Lina "
    "Lucas Lynne Maja Marco Maria Mark Megan Mei Miguel Mila Miriam Nadia Nestor Nina Noah Olivia "
    "Omar Oscar Patti Paul Pedro Pradeep Priya Rachel Raj Rosa Ryan Sam Sara Sean Sofia Tariq "
    "Theo Tom Uma Victor Wei Yuki Zoe Zara"
)

SURNAMES = _words(
    "Adams Ahmed Alvarez Anderson Bakker Baker Bell Bennett Brown Campbell Carter Chen Clark "
    "Collins Cook Cooper Costa Cruz Davies Diaz Dubois Edwards Evans Fischer Flores Foster Garcia "
    "Gomez Gonzalez Gray Green Hall Harris Hernandez Hill Hoffmann Howard Hughes Ito Jackson "
    "Jansen Johnson Jones Kelly Khan Kim King Kowalski Kumar Lambert Larsen Lee Lewis Lopez Martin "
    "Martinez Meyer Miller Mitchell Moore Morgan Morris Murphy Nakamura Nelson Nguyen Novak "
    "O'Brien Olsen Parker Patel Perez Peters Phillips Powell Price Reed Richter Rivera Roberts "
    "Robinson Rodriguez Rossi Russo Sanchez Santos Schmidt Scott Silva Singh Smith Stewart "
    "Sullivan Suzuki Tanaka Taylor Thomas Thompson Torres Turner Vance Walker Wang Ward Watson "
    "White Wilson Wright Wu Yamamoto Young Zhang"
)


class Department(NamedTuple):
    name: str
    weight: float
    titles: tuple[str, ...]


DEPARTMENTS = (
    Department(
        "Sales",
        18,
        (
            "Account Executive",
            "Sales Manager",
            "Sales Development Rep",
            "Regional Sales Director",
            "Solutions Consultant",
        ),
    ),
    Department(
        "Engineering",
        22,
        (
            "Software Engineer",
            "Senior Software Engineer",
            "Engineering Manager",
            "Site Reliability Engineer",
            "QA Engineer",
            "Principal Engineer",
        ),
    ),
    Department(
        "Marketing",
        8,
        (
            "Marketing Manager",
            "Content Strategist",
            "Product Marketing Manager",
            "Growth Marketer",
            "Brand Designer",
        ),
    ),
    Department(
        "Finance",
        6,
        (
            "Financial Analyst",
            "Controller",
            "Accountant",
            "Payroll Specialist",
            "Chief Financial Officer",
        ),
    ),
    Department(
        "Human Resources",
        4,
        (
            "HR Business Partner",
            "Recruiter",
            "Talent Acquisition Lead",
            "People Operations Manager",
        ),
    ),
    Department(
        "IT",
        6,
        (
            "IT Administrator",
            "Systems Engineer",
            "Help Desk Technician",
            "Security Analyst",
            "IT Director",
        ),
    ),
    Department(
        "Operations",
        10,
        (
            "Operations Manager",
            "Logistics Coordinator",
            "Supply Chain Analyst",
            "Facilities Manager",
        ),
    ),
    Department(
        "Customer Success",
        10,
        (
            "Customer Success Manager",
            "Support Engineer",
            "Support Team Lead",
            "Onboarding Specialist",
        ),
    ),
    Department("Legal", 2, ("Legal Counsel", "Paralegal", "Compliance Officer")),
    Department(
        "Product",
        6,
        ("Product Manager", "Product Designer", "UX Researcher", "Director of Product"),
    ),
    Department(
        "Executive",
        1,
        ("Chief Executive Officer", "Chief Operating Officer", "Executive Assistant"),
    ),
)
DEPARTMENT_NAMES = tuple(d.name for d in DEPARTMENTS)


class Office(NamedTuple):
    name: str
    city: str
    state: str
    country: str
    latitude: float
    longitude: float
    ip_prefix: str
    phone_prefix: str


OFFICES = (
    Office("Redmond HQ", "Redmond", "Washington", "US", 47.674, -122.121, "20.190", "+1 425"),
    Office("New York", "New York", "New York", "US", 40.713, -74.006, "40.78", "+1 212"),
    Office("Austin", "Austin", "Texas", "US", 30.267, -97.743, "52.14", "+1 512"),
    Office("London", "London", "England", "GB", 51.507, -0.128, "51.140", "+44 20"),
    Office("Dublin", "Dublin", "Leinster", "IE", 53.350, -6.260, "52.169", "+353 1"),
    Office("Berlin", "Berlin", "Berlin", "DE", 52.520, 13.405, "20.79", "+49 30"),
    Office("Paris", "Paris", "Ile-de-France", "FR", 48.857, 2.352, "20.74", "+33 1"),
    Office("Amsterdam", "Amsterdam", "Noord-Holland", "NL", 52.368, 4.904, "20.103", "+31 20"),
    Office("Bangalore", "Bengaluru", "Karnataka", "IN", 12.972, 77.595, "20.193", "+91 80"),
    Office("Sydney", "Sydney", "New South Wales", "AU", -33.869, 151.209, "20.211", "+61 2"),
    Office("Toronto", "Toronto", "Ontario", "CA", 43.653, -79.383, "52.139", "+1 416"),
    Office("Remote", "Denver", "Colorado", "US", 39.739, -104.990, "98.43", "+1 303"),
)
LANGUAGES = {
    "US": "en-US",
    "GB": "en-GB",
    "IE": "en-IE",
    "DE": "de-DE",
    "FR": "fr-FR",
    "NL": "nl-NL",
    "IN": "en-IN",
    "AU": "en-AU",
    "CA": "en-CA",
}

GUEST_DOMAINS = (
    "gmail.com",
    "outlook.com",
    "fabrikam.com",
    "northwind.io",
    "adatum.net",
    "partner-consulting.com",
)


class Device(NamedTuple):
    operating_system: str
    browser: str
    client_app: str


DEVICES = (
    Device("Windows 10", "Edge 124.0.0", "Browser"),
    Device("Windows 11", "Chrome 125.0.0", "Browser"),
    Device("Windows 11", "Edge 125.0.0", "Browser"),
    Device("MacOs", "Safari 17.4", "Browser"),
    Device("MacOs", "Chrome 125.0.0", "Browser"),
    Device("Windows 10", "Rich Client 16.0.17531", "Mobile Apps and Desktop clients"),
    Device("Ios 17.4.1", "Mobile Safari 17.4", "Mobile Apps and Desktop clients"),
    Device("Android 14", "Chrome Mobile 124.0.0", "Mobile Apps and Desktop clients"),
    Device("Linux", "Firefox 126.0", "Browser"),
)

# Real AADSTS codes seen in sign-in logs; weights are relative frequencies among failures.
FAILURES = (
    (50126, 40, "Error validating credentials due to invalid username or password."),
    (50074, 22, "Strong Authentication is required."),
    (
        50140,
        10,
        "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
    ),
    (
        53003,
        8,
        "Access has been blocked by Conditional Access policies. The access policy does "
        "not allow token issuance.",
    ),
    (
        50053,
        6,
        "Account is locked because user tried to sign in too many times with an "
        "incorrect user ID or password.",
    ),
    (500121, 6, "Authentication failed during strong authentication request."),
    (50055, 4, "The password is expired."),
    (
        50076,
        4,
        "Due to a configuration change made by your administrator, or because you moved "
        "to a new location, you must use multi-factor authentication to access.",
    ),
)
DISABLED_FAILURE = (
    50057,
    "User account is disabled. The account has been disabled by an administrator.",
)
