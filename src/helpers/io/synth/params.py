"""Fixed parameters of the synthetic shop: catalogue, customer types, countries and channels,
dirt rates, demographics, reviews and campaigns (what :mod:`helpers.io.synth` plants; the
package docstring explains each). Nothing here depends on the seed.
"""
from __future__ import annotations

#: Bump whenever the generated data for a given config changes.
GENERATOR_VERSION = "1.5.0"

#: Currency of every price and amount.
CURRENCY = "GBP"
#: Microseconds per day (timestamps are int64 microseconds).
DAY_US = 86_400_000_000
#: customer_id of customer index 0 (ids are consecutive numbers).
FIRST_CUSTOMER_ID = 10_001

# --------------------------------------------------------------------------------------
# catalogue (fixed; independent of the seed)
# --------------------------------------------------------------------------------------
CATEGORIES: dict[str, list[str]] = {
    "Kitchen": ["Ceramic Mug", "Tea Towel", "Cake Tin", "Measuring Spoons", "Biscuit Jar",
                "Lunch Box", "Cutlery Set", "Teapot", "Oven Gloves", "Apron"],
    "Garden": ["Plant Pot", "Watering Can", "Seed Packet", "Garden Gloves", "Bird Feeder",
               "Solar Lantern", "Trowel", "Herb Kit", "Wind Chime", "Hose Nozzle"],
    "Toys": ["Wooden Puzzle", "Skipping Rope", "Spinning Top", "Toy Car", "Plush Bear",
             "Building Blocks", "Kite", "Jigsaw", "Marbles Bag", "Yo-Yo"],
    "Stationery": ["Notebook", "Pen Set", "Greeting Card", "Wrapping Paper", "Sticky Notes",
                   "Pencil Case", "Desk Planner", "Washi Tape", "Envelope Pack", "Bookmark"],
    "Lighting": ["Tea Light Candles", "Candle Holder", "Fairy Lights", "Table Lamp", "Lantern",
                 "Night Light", "Scented Candle", "LED Bulb", "String Lights", "Lamp Shade"],
    "Textiles": ["Cushion Cover", "Throw Blanket", "Table Runner", "Napkin Set", "Tote Bag",
                 "Placemat Set", "Hot Water Bottle Cover", "Doorstop", "Bunting", "Oven Mitt"],
    "Bath": ["Bath Towel", "Soap Bar", "Bath Bombs", "Toothbrush Holder", "Shower Curtain",
             "Bath Mat", "Hand Cream", "Sponge Set", "Wash Bag", "Reed Diffuser"],
    "Party": ["Party Balloons", "Party Banner", "Paper Plates", "Paper Cups", "Party Napkins",
              "Birthday Candles", "Party Hats", "Confetti", "Pinata", "Gift Bags"],
    "Pet": ["Dog Lead", "Dog Treats", "Cat Toy", "Pet Bowl", "Pet Bed", "Chew Toy",
            "Cat Scratcher", "Pet Brush", "Poop Bags", "Bird Seed"],
    "Gifts": ["Gift Box", "Photo Frame", "Keyring", "Jewellery Dish", "Gift Card Holder",
              "Snow Globe", "Music Box", "Trinket Box", "Mini Hamper", "Vintage Tin"],
    "Storage": ["Storage Jar", "Wicker Basket", "Shoe Rack", "Drawer Organiser", "Storage Box",
                "Coat Hooks", "Magazine Rack", "Laundry Bag", "Spice Rack", "Key Cabinet"],
    "Home Decor": ["Wall Clock", "Mirror", "Vase", "Art Print", "Door Sign", "Ornament",
                   "Plant Hanger", "Decorative Plate", "Doormat", "Coasters"],
}
TIERS = ("Good", "Better", "Best")
TIER_MULT = (1.0, 1.8, 3.0)
#: "Good"-tier price range per category (GBP)
PRICE_RANGE = {
    "Kitchen": (1.5, 6.0), "Garden": (1.0, 8.0), "Toys": (0.85, 6.0), "Stationery": (0.65, 4.0),
    "Lighting": (1.25, 8.0), "Textiles": (2.0, 9.0), "Bath": (1.25, 6.0), "Party": (0.85, 4.0),
    "Pet": (1.5, 8.0), "Gifts": (1.65, 7.0), "Storage": (2.5, 10.0), "Home Decor": (2.0, 10.0),
}
#: multiplier on the chance of buying from a category, per calendar month (Jan..Dec)
SEASON = {
    "Gifts":    [0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.2, 2.5, 3.0],
    "Party":    [0.8, 0.8, 0.9, 1.0, 1.0, 1.3, 1.3, 1.1, 0.9, 1.1, 1.5, 2.0],
    "Toys":     [0.8, 0.8, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.1, 1.8, 2.2],
    "Lighting": [1.1, 1.0, 0.9, 0.8, 0.7, 0.6, 0.6, 0.7, 0.9, 1.3, 1.6, 1.8],
    "Garden":   [0.5, 0.6, 1.3, 1.8, 2.0, 1.8, 1.5, 1.1, 0.8, 0.6, 0.5, 0.5],
    "Textiles": [1.2, 1.1, 1.0, 0.9, 0.9, 0.8, 0.8, 0.9, 1.0, 1.1, 1.2, 1.2],
}
#: planted bundles: ((base item, tier), ...), conditional probability. The first product is
#: the "head": when it is in a basket, ALL the others are added with probability ``prob``.
BUNDLE_SPEC: list[tuple[tuple[tuple[str, str], ...], float]] = [
    ((("Tea Light Candles", "Good"), ("Candle Holder", "Good")), 0.6),
    ((("Greeting Card", "Good"), ("Wrapping Paper", "Good")), 0.6),
    ((("Dog Lead", "Better"), ("Dog Treats", "Good")), 0.6),
    ((("Ceramic Mug", "Better"), ("Teapot", "Better")), 0.5),
    ((("Plant Pot", "Good"), ("Seed Packet", "Good")), 0.6),
    ((("Photo Frame", "Better"), ("Gift Box", "Good")), 0.55),
    ((("Hand Cream", "Better"), ("Gift Bags", "Good")), 0.6),
    ((("Notebook", "Good"), ("Pen Set", "Good")), 0.65),
    ((("Party Balloons", "Good"), ("Party Banner", "Good"), ("Paper Plates", "Good")), 0.5),
    ((("Cushion Cover", "Better"), ("Throw Blanket", "Better"), ("Scented Candle", "Better")), 0.5),
    ((("Skipping Rope", "Good"), ("Kite", "Good"), ("Marbles Bag", "Good")), 0.5),
]

# non-product codes: (product_id, description)
FEES = (("POST", "POSTAGE"), ("M", "Manual"), ("BANK CHARGES", "Bank Charges"))
FEE_CATEGORY = "Fees"

# --------------------------------------------------------------------------------------
# customers
# --------------------------------------------------------------------------------------
#: Headline population (weekly lambda, spend in GBP). "regular" uses exactly these.
HEADLINE = {"r": 0.45, "alpha": 7.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 4.0, "gamma": 15.0}

_TIER_PREF = {
    "regular": (0.40, 0.40, 0.20), "loyal": (0.35, 0.45, 0.20), "premium": (0.05, 0.25, 0.70),
    "bargain": (0.75, 0.20, 0.05), "gift": (0.20, 0.40, 0.40),
}
_CAT_PREF = {  # multipliers on category weights; missing = 1
    "regular": {}, "loyal": {"Kitchen": 1.3, "Stationery": 1.2},
    "premium": {"Lighting": 1.5, "Textiles": 1.5, "Home Decor": 1.5, "Party": 0.5},
    "bargain": {"Party": 1.5, "Stationery": 1.3, "Storage": 0.7, "Home Decor": 0.7},
    "gift": {"Gifts": 5.0, "Party": 3.0, "Toys": 2.0, "Stationery": 1.5, "Storage": 0.3, "Garden": 0.5},
}
TYPES: dict[str, dict] = {
    "regular": {"share": 0.70, **HEADLINE, "holiday_acquisition": 1.3},
    "loyal": {"share": 0.10, "r": 2.0, "alpha": 8.0, "a": 0.6, "b": 8.0, "p": 6.0, "q": 5.0,
              "gamma": 22.0, "holiday_acquisition": 1.3},
    "premium": {"share": 0.08, "r": 0.8, "alpha": 8.0, "a": 0.8, "b": 3.5, "p": 8.0, "q": 5.0,
                "gamma": 40.0, "holiday_acquisition": 1.3},
    "bargain": {"share": 0.07, "r": 0.6, "alpha": 6.0, "a": 0.8, "b": 2.5, "p": 5.0, "q": 4.0,
                "gamma": 9.0, "holiday_acquisition": 1.3},
    "gift": {"share": 0.05, "r": 0.3, "alpha": 15.0, "a": 2.0, "b": 1.0, "p": 6.0, "q": 4.0,
             "gamma": 20.0, "holiday_acquisition": 4.0},
}
TYPE_NAMES = tuple(TYPES)
for _k in TYPES:
    TYPES[_k]["tier_pref"] = dict(zip(TIERS, _TIER_PREF[_k]))
    TYPES[_k]["category_pref"] = {c: _CAT_PREF[_k].get(c, 1.0) for c in CATEGORIES}

#: (country, share of customers, postage price)
COUNTRIES = (
    ("United Kingdom", 0.825, 3.95), ("Germany", 0.035, 18.0), ("France", 0.03, 18.0),
    ("EIRE", 0.03, 18.0), ("Netherlands", 0.02, 18.0), ("Spain", 0.015, 18.0),
    ("Belgium", 0.015, 18.0), ("Switzerland", 0.01, 25.0), ("Portugal", 0.01, 18.0),
    ("Australia", 0.01, 40.0),
)
CHANNELS = ("web", "store", "app")
#: preferred channel shares of UK and other customers, the chance an order uses the preferred
#: one, and the channel shares of guest orders
CHANNEL_PREF_UK = (0.50, 0.35, 0.15)
CHANNEL_PREF_ABROAD = (0.80, 0.0, 0.20)
CHANNEL_STICKY = 0.8
GUEST_CHANNEL = (0.50, 0.40, 0.10)

ACQ_RISE = 0.5  # last day of the window gets (1 + ACQ_RISE) x the first day's acquisition weight

#: relative frequency of each kind of dirt
DIRT_RATES = {
    "guest_orders_per_order": 0.03,
    "cancelled_orders_per_order": 0.015,
    "partial_cancel": 0.25,
    "duplicate_per_line": 0.003,
    "zero_price_per_line": 0.002,
    "manual_per_order": 0.0005,
    "bank_charges_per_order": 0.0002,
    "extreme_per_order": 1 / 10_000,
}

# --------------------------------------------------------------------------------------
# demographics, reviews and complaints, campaigns (since version 1.3)
# --------------------------------------------------------------------------------------
#: UK regions (customers outside the UK get ``REGION_ABROAD``); no effect on behaviour
REGIONS_UK = ("London", "South East", "South West & Wales", "Midlands", "North & Scotland")
REGION_UK_SHARES = (0.22, 0.20, 0.16, 0.20, 0.22)
REGION_ABROAD = "International"
#: age bands and household sizes: drawn independently, no effect on behaviour (known nulls)
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
AGE_SHARES = (0.10, 0.22, 0.22, 0.19, 0.15, 0.12)
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5)
HOUSEHOLD_SHARES = (0.28, 0.35, 0.16, 0.14, 0.07)
#: income band: share of customers and the factor multiplying the customer's BG/NBD lambda.
#: The share-weighted mean factor is exactly 1, so the mean purchase rate of each type is kept.
INCOME_BANDS = ("low", "middle", "high")
INCOME_SHARES = (0.30, 0.50, 0.20)
INCOME_FACTOR = {"low": 0.8, "middle": 1.0, "high": 1.3}

#: reviews of BTYD orders and the complaint effect on dropout
FEEDBACK_RULES = {
    "review_share": 0.25,                            # P(a BTYD order gets a review)
    "score_probs": (0.06, 0.06, 0.12, 0.30, 0.46),   # P(score = 1..5 | review)
    "complaint_max_score": 2,                        # scores 1-2 are complaints
    "complaint_hazard_factor": 2.0,                  # k: p -> 1 - (1 - p)**k after a complaint
    "delay_days": (0.5, 7.0),                        # review written uniform 0.5-7 days after the order
    "no_text_share": 0.10,                           # reviews with a score but no comment
}
#: short English comments per score (the topics a text analysis should find)
FEEDBACK_PHRASES: dict[int, tuple[str, ...]] = {
    1: ("Late delivery and the box was damaged.", "Wrong item sent and nobody answers my emails.",
        "Arrived broken, very disappointed.", "Still waiting for a refund for the damaged item.",
        "Late delivery, two weeks after the promised date.", "Poor quality, it fell apart after one use.",
        "The parcel never arrived, terrible service."),
    2: ("Delivery was late and one item was missing.", "The item was damaged in transit.",
        "Wrong colour sent, had to return it.", "Not as described, cheap quality.",
        "Slow delivery and poor packaging.", "Wrong item in the parcel, late delivery too."),
    3: ("Okay, but delivery took a while.", "Average quality for the price.", "Fine, nothing special.",
        "Item as described, packaging could be better.", "Decent, but smaller than expected."),
    4: ("Good quality and quick delivery.", "Nice product, would buy again.",
        "Well packed and arrived on time.", "Good value for money.", "Pretty gift, my friend liked it."),
    5: ("Fast delivery and great quality!", "Excellent, exactly as pictured.", "Great quality, lovely gift.",
        "Fast delivery, well packed, perfect.", "Love it, great service and fast delivery.",
        "Beautiful item, great quality."),
}

#: campaign types: window length, share of eligible customers targeted, P(respond | targeted and
#: alive at the drawn response time), share of exposures sent by email (the rest by sms)
CAMPAIGN_TYPES: dict[str, dict] = {
    "discount": {"window_days": 14, "target_share": 0.10, "response_prob": 0.15, "email_share": 0.7},
    "bundle": {"window_days": 21, "target_share": 0.08, "response_prob": 0.10, "email_share": 0.8},
    "reactivation": {"window_days": 28, "target_share": 0.10, "response_prob": 0.08, "email_share": 0.5},
}
