"""Fixed word lists the demo data is drawn from (plain data, so generation stays deterministic)."""

from __future__ import annotations

FIRST_NAMES = (
    "Amara", "Ben", "Chloé", "Daniel", "Elena", "Farid", "Grace", "Hiroshi", "Ines", "Jonas",
    "Kemi", "Liam", "María", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tariq",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoë",
)  # fmt: skip

LAST_NAMES = (
    "Adeyemi", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Hansen", "Ivanova",
    "Jensen", "Kowalski", "Lefebvre", "Moreau", "Nakamura", "O'Brien", "Petrov", "Rossi",
    "Schmidt", "Tanaka", "Urquhart", "Varga", "Weber", "Yilmaz", "Zhang",
)  # fmt: skip

EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")

# (ISO 3166 code, weight): most customers in a few countries, a long tail elsewhere.
COUNTRIES = (("FR", 30), ("DE", 25), ("GB", 15), ("US", 12), ("ES", 8), ("IT", 6), ("NL", 3), ("NA", 1))

ORDER_STATUSES = (("paid", 55), ("shipped", 25), ("refunded", 6), ("cancelled", 6), ("pending", 8))

CURRENCIES = (("EUR", 70), ("USD", 18), ("GBP", 12))

PAYMENT_METHODS = (("card", 70), ("paypal", 20), ("bank_transfer", 10))

PRODUCTS = (
    ("Espresso beans 1kg", "coffee", 2490), ("Filter beans 1kg", "coffee", 2190),
    ("Decaf beans 500g", "coffee", 1390), ("Green tea 100g", "tea", 890),
    ("Earl grey 100g", "tea", 790), ("Rooibos 100g", "tea", 690),
    ("Pour-over kettle", "equipment", 5900), ("Burr grinder", "equipment", 12900),
    ("French press", "equipment", 3400), ("Moka pot", "equipment", 2900),
    ("Paper filters x100", "supplies", 590), ("Descaler", "supplies", 990),
    ("Travel mug", "merch", 1900), ("Ceramic cup", "merch", 1200),
    ("Tote bag", "merch", 1500), ("Gift card 25", "gift", 2500),
    ("Gift card 50", "gift", 5000), ("Tasting box", "coffee", 3900),
    ("Cold brew kit", "equipment", 4500), ("Milk frother", "equipment", 3900),
)  # fmt: skip

COMPANIES = (
    "Acme Roasters", "Bluebird Cafés", "Copper Kettle Ltd", "Daybreak Bakery", "Elm Street Deli",
    "Foxglove Hotels", "Granite Offices", "Harbour Co-working", "Ivy Catering", "Juniper Gyms",
)  # fmt: skip

LEAD_SOURCES = ("website", "trade_show", "referral", "cold_call", "newsletter")
