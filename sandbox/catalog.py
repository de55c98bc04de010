"""Reference data for applications: third-party SaaS, Microsoft first-party apps, scopes."""

from __future__ import annotations

from typing import NamedTuple

MICROSOFT_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
DEFAULT_ACCESS_ROLE = "00000000-0000-0000-0000-000000000000"

# Application permission (app role) ids of Microsoft Graph.
GRAPH_APP_ROLES = {
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "AuditLog.Read.All": "b0afded3-3588-46d8-8b3d-9842eff778da",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "Group.Read.All": "5b567255-7703-4780-807c-7be8301ae99b",
    "Mail.Read": "810c84a8-4a9e-49e6-bf7d-12d183f40d01",
    "Files.ReadWrite.All": "75359482-378d-4052-8f01-80520e7db3cd",
    "Directory.ReadWrite.All": "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
}

BASE_SCOPES = "openid profile email offline_access User.Read"
RISKY_SCOPES = ("Mail.Read", "Mail.ReadWrite", "Mail.Send", "Files.ReadWrite.All",
                "Directory.ReadWrite.All", "Sites.ReadWrite.All", "Contacts.Read",
                "Calendars.ReadWrite", "MailboxSettings.ReadWrite", "User.ReadWrite.All")


class CatalogApp(NamedTuple):
    name: str
    publisher: str
    mpn_id: str  # "" = unverified publisher
    domain: str
    departments: tuple[str, ...]  # ("*",) = everyone
    consent: str  # "admin" (IT-managed, assigned) or "user" (users consent themselves)
    scopes: str  # delegated scopes beyond BASE_SCOPES
    sso: str  # "saml" or "oidc"
    popularity: float
    audience: float = 1.0  # scales how many users consent (niche apps reach few)


def _app(name: str, publisher: str, mpn: str, domain: str, depts: str, consent: str,
         scopes: str, sso: str, pop: float) -> CatalogApp:
    return CatalogApp(name, publisher, mpn, domain, tuple(depts.split(",")), consent, scopes,
                      sso, pop)


SAAS_CATALOG = (
    _app("Zoom", "Zoom Video Communications, Inc.", "4412345", "zoom.us", "*", "admin",
         "Calendars.ReadWrite", "oidc", 6),
    _app("Slack", "Slack Technologies, LLC", "4412346", "slack.com", "*", "admin", "", "saml", 8),
    _app("Salesforce", "Salesforce, Inc.", "4412347", "salesforce.com", "Sales,Customer Success",
         "admin", "", "saml", 9),
    _app("Dropbox Business", "Dropbox, Inc.", "4412348", "dropbox.com", "Marketing,Product",
         "user", "Files.Read", "oidc", 2),
    _app("Box", "Box, Inc.", "4412349", "box.com", "Legal,Finance", "admin", "Files.Read.All",
         "saml", 2),
    _app("Miro", "RealtimeBoard, Inc.", "4412350", "miro.com", "Product,Engineering,Marketing",
         "user", "", "oidc", 3),
    _app("Notion", "Notion Labs, Inc.", "4412351", "notion.so", "Product,Engineering", "user",
         "", "oidc", 3),
    _app("Asana", "Asana, Inc.", "4412352", "asana.com", "Marketing,Operations", "admin", "",
         "saml", 3),
    _app("Atlassian Jira", "Atlassian", "4412353", "atlassian.net", "Engineering,Product,IT",
         "admin", "", "saml", 7),
    _app("Atlassian Confluence", "Atlassian", "4412353", "atlassian.net",
         "Engineering,Product", "admin", "", "saml", 4),
    _app("DocuSign", "DocuSign Inc.", "4412354", "docusign.net", "Sales,Legal,Finance", "admin",
         "", "saml", 2),
    _app("HubSpot", "HubSpot, Inc.", "4412355", "hubspot.com", "Marketing,Sales", "user",
         "Contacts.Read Calendars.Read", "oidc", 3),
    _app("Adobe Creative Cloud", "Adobe Inc.", "4412356", "adobe.com", "Marketing,Product",
         "admin", "", "saml", 2),
    _app("Adobe Acrobat Sign", "Adobe Inc.", "4412356", "adobesign.com", "Legal,Human Resources",
         "admin", "", "saml", 1),
    _app("GitHub Enterprise Cloud", "GitHub, Inc.", "4412357", "github.com", "Engineering",
         "admin", "", "saml", 8),
    _app("Webex", "Cisco Systems, Inc.", "4412358", "webex.com", "Sales", "user",
         "Calendars.ReadWrite", "oidc", 1),
    _app("Trello", "Atlassian", "4412353", "trello.com", "Marketing,Operations", "user", "",
         "oidc", 1.5),
    _app("monday.com", "monday.com Ltd.", "4412359", "monday.com", "Operations,Marketing",
         "user", "", "oidc", 1.5),
    _app("Canva", "Canva Pty Ltd", "4412360", "canva.com", "*", "user", "Files.Read", "oidc", 2),
    _app("ChatGPT", "OpenAI", "4412361", "openai.com", "*", "user", "", "oidc", 4),
    _app("Figma", "Figma, Inc.", "4412362", "figma.com", "Product,Marketing", "admin", "",
         "saml", 3),
    _app("Zendesk", "Zendesk, Inc.", "4412363", "zendesk.com", "Customer Success", "admin", "",
         "saml", 6),
    _app("ServiceNow", "ServiceNow, Inc.", "4412364", "service-now.com", "IT,*", "admin", "",
         "saml", 3),
    _app("Workday", "Workday, Inc.", "4412365", "myworkday.com", "*", "admin", "", "saml", 1.5),
    _app("SAP Concur", "SAP SE", "4412366", "concursolutions.com", "*", "admin", "", "saml", 1),
    _app("Smartsheet", "Smartsheet Inc.", "4412367", "smartsheet.com", "Operations,Finance",
         "user", "Files.Read", "oidc", 1),
    _app("Airtable", "Formagrid Inc", "4412368", "airtable.com", "Marketing,Operations", "user",
         "", "oidc", 1),
    _app("Calendly", "Calendly LLC", "4412369", "calendly.com", "Sales,Human Resources", "user",
         "Calendars.ReadWrite", "oidc", 1.5),
    _app("Grammarly", "Grammarly, Inc.", "4412370", "grammarly.com", "*", "user", "", "oidc", 1.5),
    _app("Loom", "Loom, Inc.", "4412371", "loom.com", "Product,Customer Success", "user", "",
         "oidc", 1),
    _app("Lucidchart", "Lucid Software Inc.", "4412372", "lucid.app", "Engineering,IT", "user",
         "Files.Read", "oidc", 1),
    _app("Mailchimp", "Intuit Inc.", "4412373", "mailchimp.com", "Marketing", "user",
         "Contacts.Read", "oidc", 1),
    _app("Tableau Cloud", "Salesforce, Inc.", "4412347", "online.tableau.com",
         "Finance,Operations,Executive", "admin", "", "saml", 1.5),
    _app("Snowflake", "Snowflake Inc.", "4412374", "snowflakecomputing.com", "Engineering,Finance",
         "admin", "", "saml", 1),
    _app("Datadog", "Datadog, Inc.", "4412375", "datadoghq.com", "Engineering,IT", "admin", "",
         "saml", 2),
    _app("PagerDuty", "PagerDuty, Inc.", "4412376", "pagerduty.com", "Engineering,IT", "admin",
         "", "saml", 1),
    _app("1Password", "1Password", "4412377", "1password.com", "*", "admin", "", "oidc", 1),
    _app("Greenhouse", "Greenhouse Software, Inc.", "4412378", "greenhouse.io",
         "Human Resources", "admin", "", "saml", 1),
    _app("BambooHR", "BambooHR LLC", "4412379", "bamboohr.com", "Human Resources", "admin", "",
         "saml", 1),
    _app("Expensify", "Expensify, Inc.", "4412380", "expensify.com", "*", "user", "", "oidc", 0.7),
    _app("Freshdesk", "Freshworks Inc.", "4412381", "freshdesk.com", "Customer Success", "user",
         "", "oidc", 0.6),
    _app("Zapier", "Zapier, Inc.", "4412382", "zapier.com", "Operations,Marketing", "user",
         "Mail.Read Files.ReadWrite.All", "oidc", 0.8),
    _app("Otter.ai", "Otter.ai", "", "otter.ai", "Sales,Customer Success", "user",
         "Calendars.Read OnlineMeetings.Read", "oidc", 0.8),
    _app("Gong", "Gong.io Ltd", "4412383", "gong.io", "Sales", "admin", "Calendars.Read Mail.Read",
         "saml", 1),
    _app("ClickUp", "Mango Technologies, Inc.", "4412384", "clickup.com", "Operations", "user", "",
         "oidc", 0.5),
    _app("Evernote", "Evernote Corporation", "4412385", "evernote.com", "*", "user", "", "oidc",
         0.3),
    _app("RingCentral", "RingCentral, Inc.", "4412386", "ringcentral.com", "Sales",
         "admin", "Contacts.Read", "saml", 0.8),
    _app("KnowBe4", "KnowBe4, Inc.", "4412387", "knowbe4.com", "*", "admin", "", "saml", 0.3),
)

# Long-tail names for extra third-party apps: many unverified, asking for risky scopes.
LONG_TAIL_PREFIXES = ("Quick", "Smart", "Inbox", "Doc", "Pixel", "Cloud", "Sync", "Meet",
                      "Flow", "Bright", "Pulse", "Task", "Deal", "Form", "Mail", "Note")
LONG_TAIL_SUFFIXES = ("Sign", "Merge", "Notes AI", "Tracker", "Planner", "Converter", "Desk",
                      "Sync Plus", "Capture", "Insights", "Scheduler", "Share", "Assistant")


class FirstPartyApp(NamedTuple):
    name: str
    app_id: str
    popularity: float  # relative share of interactive sign-ins; 0 = not a sign-in target


MICROSOFT_APPS = (
    FirstPartyApp("Microsoft Graph", GRAPH_APP_ID, 0),
    FirstPartyApp("Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000", 0),
    FirstPartyApp("Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000", 12),
    FirstPartyApp("Windows Azure Active Directory", "00000002-0000-0000-c000-000000000000", 0),
    FirstPartyApp("Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264", 30),
    FirstPartyApp("Microsoft Teams Web Client", "5e3ce6c0-2b1f-4285-8d4b-75ee78787346", 6),
    FirstPartyApp("Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c", 20),
    FirstPartyApp("OfficeHome", "4765445b-32c6-49b0-83e6-1d93765276ca", 14),
    FirstPartyApp("Outlook Mobile", "27922004-5251-4030-b22d-91ecd9a37ea4", 8),
    FirstPartyApp("One Outlook Web", "9199bf20-a13f-4107-85dc-02114787ef48", 16),
    FirstPartyApp("OneDrive SyncEngine", "ab9b8c07-8f02-4f72-87fa-80105867a763", 5),
    FirstPartyApp("Azure Portal", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", 1.5),
    FirstPartyApp("Microsoft Azure CLI", "04b07795-8ddb-461a-bbee-02f9e1bf7b46", 0.6),
    FirstPartyApp("Microsoft Azure PowerShell", "1950a258-227b-4e31-a9cf-717495945fc2", 0.4),
    FirstPartyApp("Graph Explorer", "de8bc8b5-d9f9-48b1-a8ad-b748da725064", 0.2),
    FirstPartyApp("Office 365 Management APIs", "c5393580-f805-4401-95e8-94b7a6ef2fc2", 0),
    FirstPartyApp("Microsoft Intune", "0000000a-0000-0000-c000-000000000000", 0),
    FirstPartyApp("Power BI Service", "00000009-0000-0000-c000-000000000000", 2),
    FirstPartyApp("Windows Azure Service Management API", "797f4846-ba00-4fd7-ba43-dac1f8f63013",
                  0),
    FirstPartyApp("Skype for Business Online", "00000004-0000-0ff1-ce00-000000000000", 0),
    FirstPartyApp("Yammer", "00000005-0000-0ff1-ce00-000000000000", 0.3),
    FirstPartyApp("Microsoft Planner", "09abbdfd-ed23-44ee-a2d9-a627aa1c90f3", 0.8),
    FirstPartyApp("Azure Key Vault", "cfa8b339-82a2-471a-a3c9-0fc0be7a4093", 0),
    FirstPartyApp("Microsoft Authentication Broker", "29d9ed98-a469-4536-ade2-f981bc1d605e", 3),
    FirstPartyApp("Microsoft Edge", "ecd6b820-32c2-49b6-98a6-444530e5a77a", 2),
    FirstPartyApp("My Apps", "2793995e-0a7d-40d7-bd35-6968ba142197", 0.8),
    FirstPartyApp("My Profile", "8c59ead7-d703-4a27-9e55-c96a0054c8d2", 0.4),
    FirstPartyApp("Microsoft Forms", "c9a559d2-7aab-4f13-a6ed-e7e9c52aec87", 0.6),
    FirstPartyApp("Microsoft Stream Portal", "cf53fce8-def6-4aeb-8d30-b158e7b1cf83", 0.3),
    FirstPartyApp("Microsoft To-Do client", "22098786-6e16-43cc-a27d-191a01a1e3b5", 0.4),
    FirstPartyApp("Microsoft Whiteboard Client", "57336123-6e14-4acc-8dcf-287b6088aa28", 0.2),
    FirstPartyApp("Dynamics CRM Online", "00000007-0000-0000-c000-000000000000", 0),
    FirstPartyApp("Microsoft Approval Management", "65d91a3d-ab74-42e6-8a2f-0add61688c74", 0),
    FirstPartyApp("Microsoft Substrate Management", "98db8bd6-0cc0-4e67-9de5-f187f1cd1b41", 0),
    FirstPartyApp("Microsoft Defender for Cloud Apps", "05a65629-4c1b-48c1-a78b-804c4abdd4af", 0),
    FirstPartyApp("Windows Store for Business", "45a330b1-b1ec-4cc1-9161-9f03992aa49f", 0),
)

OWN_APP_NAMES = ("HR Portal", "Expense Approvals", "Finance Reporting API", "Field Service App",
                 "Customer Portal", "Inventory Service", "Intranet", "Data Warehouse Loader",
                 "Onboarding Bot", "Contract Registry", "Partner Extranet", "Timesheets",
                 "Badge Access Sync", "Travel Booking", "Sales Dashboard")
MANAGED_IDENTITY_NAMES = ("func-payroll-prod", "app-intranet-prod", "vm-build-agent-01",
                          "logic-invoice-ingest", "aks-platform-kubelet", "adf-warehouse-etl",
                          "func-hr-sync", "app-customer-portal", "automation-runbooks",
                          "vm-jumpbox-02")
