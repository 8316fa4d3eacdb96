"""The fixed lists a concern is made of: KCSIE categories, pupils' roles, review outcomes and
body-map regions. Keys are stored; labels are shown."""

from __future__ import annotations

from portal.concerns.models import PupilRole, ReviewOutcome

# Keeping Children Safe in Education categories (domain.md), in the order staff see them.
CATEGORIES: list[tuple[str, str]] = [
    ("physical_abuse", "Physical abuse"),
    ("emotional_abuse", "Emotional abuse"),
    ("sexual_abuse", "Sexual abuse"),
    ("neglect", "Neglect"),
    ("child_on_child", "Child-on-child abuse (including sexual violence and harassment, bullying and cyberbullying)"),
    ("cse", "Child sexual exploitation"),
    ("cce", "Child criminal exploitation (including county lines)"),
    ("domestic_abuse", "Domestic abuse"),
    ("fgm", "Female genital mutilation"),
    ("forced_marriage", "Forced marriage"),
    ("honour_based_abuse", "Honour-based abuse"),
    ("radicalisation", "Radicalisation (Prevent)"),
    ("online_safety", "Online safety"),
    ("mental_health", "Mental health"),
    ("self_harm", "Self-harm"),
    ("missing", "Children missing education or from home"),
    ("family_in_prison", "Children with family members in prison"),
    ("homelessness", "Homelessness"),
    ("modern_slavery", "Modern slavery"),
    ("serious_violence", "Serious violence"),
    ("young_carer", "Young carer"),
    ("other", "Other"),
]
CATEGORY_LABELS = dict(CATEGORIES)

ROLES: list[tuple[str, str]] = [
    (PupilRole.SUBJECT, "Subject of the concern"),
    (PupilRole.ALLEGED_VICTIM, "Alleged victim"),
    (PupilRole.ALLEGED_PERPETRATOR, "Alleged perpetrator"),
    (PupilRole.WITNESS, "Witness"),
]
ROLE_LABELS = dict(ROLES)

OUTCOMES: list[tuple[str, str]] = [
    (ReviewOutcome.NO_FURTHER_ACTION, "No further action"),
    (ReviewOutcome.MONITOR, "Monitor"),
    (ReviewOutcome.EARLY_HELP, "Early help"),
    (ReviewOutcome.REFER_TO_LA, "Refer to the local authority"),
]
OUTCOME_LABELS = dict(OUTCOMES)

# Body-map regions: (key, side, label). The key is also the id of the region's shape in the
# outline (templates/concerns/_body_map_svg.html), so a click on a shape ticks its checkbox.
BODY_REGIONS: list[tuple[str, str, str]] = [
    ("front_head", "front", "Head and face"),
    ("front_neck", "front", "Neck and throat"),
    ("front_chest", "front", "Chest"),
    ("front_abdomen", "front", "Stomach"),
    ("front_groin", "front", "Groin and genitals"),
    ("front_right_arm", "front", "Right arm (front)"),
    ("front_left_arm", "front", "Left arm (front)"),
    ("front_right_hand", "front", "Right hand (palm)"),
    ("front_left_hand", "front", "Left hand (palm)"),
    ("front_right_leg", "front", "Right leg (front)"),
    ("front_left_leg", "front", "Left leg (front)"),
    ("front_right_foot", "front", "Right foot (top)"),
    ("front_left_foot", "front", "Left foot (top)"),
    ("back_head", "back", "Back of the head"),
    ("back_neck", "back", "Back of the neck"),
    ("back_upper", "back", "Upper back and shoulders"),
    ("back_lower", "back", "Lower back"),
    ("back_buttocks", "back", "Buttocks"),
    ("back_left_arm", "back", "Left arm (back)"),
    ("back_right_arm", "back", "Right arm (back)"),
    ("back_left_hand", "back", "Left hand (back)"),
    ("back_right_hand", "back", "Right hand (back)"),
    ("back_left_leg", "back", "Left leg (back)"),
    ("back_right_leg", "back", "Right leg (back)"),
    ("back_left_foot", "back", "Left foot (sole)"),
    ("back_right_foot", "back", "Right foot (sole)"),
]
BODY_REGION_LABELS = {key: label for key, _side, label in BODY_REGIONS}
BODY_REGION_SIDES = {key: side for key, side, _label in BODY_REGIONS}

# Optional parts of the flow a user can ask for on the "anything else" page.
EXTRAS: list[tuple[str, str]] = [
    ("others", "Other pupils were involved"),
    ("body_map", "I saw marks or injuries (add a body map)"),
    ("attachments", "I have files to attach (photos of notes, messages, drawings)"),
]

# Lengths: generous for an account in a child's own words, short for a place.
LOCATION_MAX = 200
OTHER_CATEGORY_MAX = 200
TEXT_MAX = 20000
NOTE_MAX = 1000
REASON_MAX = 5000
