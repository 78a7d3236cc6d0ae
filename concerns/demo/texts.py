"""Synthetic concern texts for the demo, by category. No names: "the child", "mother"."""

TEXTS: dict[str, tuple[str, ...]] = {
    "physical_abuse": (
        "Bruising to the upper arm noticed at changing time; the child said they did not know "
        "how it happened.",
        "The child flinched when an adult raised a hand to point; small bruise on the cheek.",
    ),
    "emotional_abuse": (
        "Parent heard shouting at the child at the gate, calling them stupid and useless.",
        "The child says they are often shut in their room as a punishment for hours.",
    ),
    "sexual_abuse": (
        "The child used sexualised language well beyond their age; disclosure not yet made.",
    ),
    "neglect": (
        "Arrived hungry again and without a coat on a cold morning.",
        "Same clothes all week; strong smell; head lice untreated for several weeks.",
        "Home visit: very little food in the house and the heating not working.",
    ),
    "domestic_abuse": (
        "Attended a report of shouting at the home address late at night; the children were "
        "present. No arrests.",
        "Mother disclosed that her partner controls the household money and her phone.",
        "Neighbour reported a loud argument and a door being broken; officers attended.",
    ),
    "parental_substance_misuse": (
        "Parent appeared intoxicated at collection time and was unsteady on their feet.",
        "Drug paraphernalia seen within reach of the children during a visit.",
    ),
    "parental_mental_health": (
        "Mother reports feeling low and not coping since the birth; missed her own review.",
        "Father's mental health has deteriorated; he has stopped taking medication.",
    ),
    "child_sexual_exploitation": (
        "Seen getting into cars with older males outside school; new phone and clothes.",
    ),
    "child_criminal_exploitation": (
        "Found in another town with large amounts of cash and two phones.",
        "Reported missing overnight; returned with unexplained injuries and new trainers.",
    ),
    "missing_from_home": (
        "Reported missing from home overnight; found the next morning at a friend's address.",
    ),
    "missing_from_education": (
        "Not attended for ten school days; no contact from the family despite calls.",
    ),
    "radicalisation": ("Sharing extremist material with classmates on a messaging group.",),
    "self_harm": (
        "Cuts seen on the forearm; the child says it helps when things are bad at home.",
    ),
    "was_not_brought": (
        "Not brought to a second booked appointment for a recurring chest infection.",
        "Immunisations overdue; three appointments not attended.",
    ),
    "faltering_growth": ("Weight has dropped across two centiles since the last review.",),
    "injury": (
        "Graze and bruise to the knee. The child and parent both said the child fell off a "
        "bike at the weekend; the account is consistent.",
        "Small burn on the hand; explanation given is vague.",
    ),
    "other": ("Family facing eviction; rent arrears and a notice to quit served.",),
}

JIGSAW_TEXTS = {
    "neglect": "Has come to school hungry several times this month and wore the same clothes "
    "all week.",
    "was_not_brought": "Not brought to a second booked appointment for a recurring chest "
    "infection.",
    "domestic_abuse": "Attended a report of shouting at the home address late at night; the "
    "child was present. No arrests.",
}

CONTROL_TEXT = (
    "Graze and bruise to the knee. The child and parent both said the child fell off a bike at "
    "the weekend; the account is consistent and the parent had already cleaned the graze."
)

GIVEN_NAMES_F = (
    "Amelia", "Ava", "Bella", "Chloe", "Daisy", "Ella", "Erin", "Freya", "Grace", "Hana",
    "Isla", "Ivy", "Jade", "Layla", "Lily", "Maya", "Mia", "Nia", "Olivia", "Poppy", "Rosa",
    "Ruby", "Sofia", "Zara",
)  # fmt: skip
GIVEN_NAMES_M = (
    "Adam", "Alfie", "Arlo", "Ben", "Caleb", "Charlie", "Dylan", "Ezra", "Finn", "George",
    "Harry", "Isaac", "Jack", "Kai", "Leo", "Luca", "Max", "Noah", "Oscar", "Ravi", "Sami",
    "Theo", "Yusuf", "Zac",
)  # fmt: skip
FAMILY_NAMES = (
    "Ashdown", "Barrow", "Birchall", "Brackley", "Calder", "Colton", "Dunmore", "Elsworth",
    "Fairley", "Garside", "Hadley", "Holloway", "Ingram", "Kershaw", "Langley", "Marlow",
    "Netherby", "Oakley", "Pemberton", "Quarry", "Radcliffe", "Sandham", "Thornton",
    "Underwood", "Varley", "Whitlock", "Yardley",
)  # fmt: skip
STREETS = (
    "Alder Close", "Beacon Road", "Bramble Way", "Canal Street", "Chapel Lane", "Cobble Row",
    "Elm Grove", "Fern Avenue", "Foundry Lane", "Heath Road", "Kiln Street", "Larch Drive",
    "Mill Lane", "Orchard Way", "Quarry Hill", "Rope Walk", "Sandpit Lane", "Tannery Court",
    "Weaver Street", "Willow Crescent",
)  # fmt: skip
TOWNS = {"demo-fernleigh": "Fernleigh", "demo-brackenmoor": "Brackenmoor"}
