"""Forename variants: nicknames and common spelling variants folded to one canonical form.

A short, hand-kept table of English given names (synthetic data only ever needs these); a name
not in the table is its own canonical form. Used by the forename comparison ("Bob" and "Robert"
agree at the nickname level) and by blocking.
"""

from __future__ import annotations

_GROUPS: tuple[tuple[str, ...], ...] = (
    ("robert", "bob", "bobby", "rob", "robbie", "bert"),
    ("william", "will", "bill", "billy", "willie", "liam"),
    ("richard", "rich", "rick", "ricky", "dick", "richie"),
    ("james", "jim", "jimmy", "jamie", "jimi"),
    ("john", "johnny", "jack", "jon", "jonny"),
    ("jonathan", "jon", "jonny", "nathan"),
    ("michael", "mike", "mikey", "mick", "mickey", "micheal"),
    ("thomas", "tom", "tommy", "thom"),
    ("joseph", "joe", "joey", "jo"),
    ("daniel", "dan", "danny", "dani"),
    ("matthew", "matt", "matty", "mathew"),
    ("christopher", "chris", "kit", "topher"),
    ("nicholas", "nick", "nicky", "nicolas", "nico"),
    ("anthony", "tony", "antony", "ant"),
    ("alexander", "alex", "alec", "sandy", "xander", "alexandre"),
    ("alexandra", "alex", "lexi", "sandra", "alexa"),
    ("benjamin", "ben", "benny", "benji"),
    ("samuel", "sam", "sammy"),
    ("samantha", "sam", "sammy", "sammie"),
    ("edward", "ed", "eddie", "ted", "teddy", "ned"),
    ("charles", "charlie", "chuck", "chas", "charley"),
    ("charlotte", "charlie", "lottie", "lotte", "charley"),
    ("henry", "harry", "hal", "hank"),
    ("harold", "harry", "hal"),
    ("elizabeth", "liz", "lizzie", "beth", "betty", "eliza", "libby", "elisabeth", "lisa"),
    ("margaret", "maggie", "meg", "peggy", "madge", "margot"),
    ("katherine", "kate", "katie", "kathy", "kat", "catherine", "kathryn", "cathy", "katy"),
    ("jennifer", "jen", "jenny", "jenna"),
    ("rebecca", "becky", "becca", "bex"),
    ("victoria", "vicky", "vicki", "tori"),
    ("susan", "sue", "susie", "suzanne"),
    ("deborah", "debbie", "deb", "debra"),
    ("patricia", "pat", "patty", "trish", "tricia"),
    ("jessica", "jess", "jessie"),
    ("abigail", "abbie", "abby", "gail"),
    ("olivia", "liv", "livvy", "ollie"),
    ("oliver", "ollie", "olly"),
    ("amelia", "millie", "amy", "emilia"),
    ("emily", "em", "emmy", "emilie"),
    ("isabella", "bella", "izzy", "isabel", "isobel", "isabelle"),
    ("sophie", "sophia", "soph", "sofia"),
    ("joshua", "josh"),
    ("zachary", "zach", "zack", "zak", "zac"),
    ("frederick", "fred", "freddie", "freddy"),
    ("theodore", "theo", "ted", "teddy"),
    ("nathaniel", "nate", "nat", "nathan"),
    ("lewis", "louis", "lou"),
    ("mohammed", "muhammad", "mohammad", "mohamed", "mohamad", "muhammed"),
    ("stephen", "steven", "steve", "stevie"),
    ("peter", "pete"),
    ("david", "dave", "davy", "davey"),
    ("andrew", "andy", "drew"),
    ("gregory", "greg"),
    ("timothy", "tim", "timmy"),
    ("kenneth", "ken", "kenny"),
    ("ronald", "ron", "ronnie"),
    ("donald", "don", "donny"),
    ("lawrence", "larry", "laurence", "laurie"),
    ("jacob", "jake", "jakob"),
    ("ellie", "eleanor", "elly", "nell", "nellie", "elinor"),
    ("grace", "gracie"),
    ("hannah", "hanna"),
    ("leah", "lea"),
    ("megan", "meg", "meghan"),
    ("natalie", "nat", "nattie"),
    ("caitlin", "katelyn", "kaitlyn", "caitlyn"),
    ("zoe", "zoey", "zoë"),
    ("chloe", "cloe"),
    ("aidan", "aiden", "ayden"),
    ("jayden", "jaden", "jaiden"),
    ("mia", "miah"),
    ("evie", "eve", "eva"),
    ("ruby", "rubie"),
    ("freya", "freja"),
    ("lily", "lilly", "lillie"),
)

_CANONICAL: dict[str, str] = {}
for _group in _GROUPS:
    for _name in _group:
        # A nickname shared by two groups (alex, sam, charlie) keeps its first group: the
        # comparison also accepts any shared group through `variant_groups`.
        _CANONICAL.setdefault(_name, _group[0])

_GROUPS_OF: dict[str, frozenset[int]] = {}
for _index, _group in enumerate(_GROUPS):
    for _name in _group:
        _GROUPS_OF[_name] = _GROUPS_OF.get(_name, frozenset()) | {_index}


def canonical_forename(name: str) -> str:
    """The canonical form of a normalised forename ("bobby" -> "robert")."""
    first = name.split(" ", 1)[0] if name else ""
    return _CANONICAL.get(first, first)


def are_variants(a: str, b: str) -> bool:
    """True when two normalised forenames are nicknames or spelling variants of one name."""
    if not a or not b:
        return False
    a1, b1 = a.split(" ", 1)[0], b.split(" ", 1)[0]
    return bool(_GROUPS_OF.get(a1, frozenset()) & _GROUPS_OF.get(b1, frozenset()))


# Given names common among children in England and Wales (from the ONS lists of recent
# years), beyond the variant groups above. Used only to recognise a name in its own right.
_COMMON_GIVEN_NAMES = """
ada aisha alice amber amelie amira anna annie arabella aria aurora ava ayla beatrice bonnie
cara ciara clara daisy danielle darcie delilah edith eliza ella elodie elsie emma erin esme
evelyn fatima florence frankie gemma georgia harper harriet hazel heidi holly imogen iris isla
ivy jade jasmine kate kayla kia lacey laura layla lexi lola lottie louise lucy luna lydia lyla
mabel maisie maria maryam matilda maya mila millie molly nancy niamh nova olive orla penelope
phoebe poppy rachel robyn rose rosie sarah scarlett sienna tia violet willow zainab zara
aaron adam albert albie alfie ali archie arlo arthur ben caleb callum cameron connor declan
dylan elijah ellis ethan evan ezra felix finley finn gabriel george hamza harrison hugo hunter
ibrahim isaac jaxon joel jonah jude kai kian kyle leo leon levi liam logan luca lucas luke
mason max noah omar oscar otis owen ralph reggie reuben riley roman ronnie rory rowan ryan
sebastian sonny stanley teddy toby tyler yusuf
"""

KNOWN_FORENAMES: frozenset[str] = frozenset(_GROUPS_OF) | frozenset(_COMMON_GIVEN_NAMES.split())
"""First names known to be names in their own right, not keying errors: the variant table's
and the common given names'. Two alike ones (Jack, Jake) are two names, as twins are given."""
