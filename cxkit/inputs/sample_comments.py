"""Comments for the generated sample: themes planted from the ratings, and personal data planted to be removed.

A customer who rates a touchpoint poorly is likely to write about it, one who rates it top sometimes praises
it; which theme a sentence belongs to, and each personal item planted in it, are recorded as the truth the
tests measure the coding and the redaction against. The sentences are varied in wording on purpose: a theme
is never one fixed phrase.
"""

from __future__ import annotations

import numpy as np

# theme -> (the touchpoint column that drives it, complaints, praise)
THEME_SENTENCES = {
    "resolution": ("first_time_resolution", [
        "Took three calls to get my problem fixed.", "The issue is still not resolved after a month.",
        "Nobody could fix the fault, I had to escalate it.", "Same problem again and again, never sorted.",
        "My complaint went nowhere and nothing was done."], [
        "They sorted it out first time.", "Problem solved on the first call, brilliant.",
        "Everything was resolved quickly and properly."]),
    "staff": ("staff_knowledge", [
        "The agent was rude and clueless.", "Staff did not seem to know the products.",
        "The advisor had a terrible attitude.", "The person I spoke to was unhelpful and impatient."], [
        "Staff were friendly and knowledgeable.", "The agent was really helpful and polite.",
        "Lovely staff, very professional.", "The advisor was patient and courteous."]),
    "billing": ("billing_clarity", [
        "Bills are confusing, I never know what I am paying for.", "I was charged twice this month.",
        "My invoice was wrong again.", "Still waiting for a refund of the extra charges.",
        "Unexpected fees on my bill."], [
        "The bill is clear and easy to read.", "Payments are simple and the statement makes sense."]),
    "waiting": ("wait_time", [
        "I waited 40 minutes on hold.", "The queue at the branch was ridiculous.",
        "Far too slow to respond to emails.", "It took weeks to get anything done."], [
        "Answered straight away.", "Quick response, no waiting around.", "Fast and prompt service."]),
    "communication": ("proactive_updates", [
        "Nobody told me the appointment had moved.", "I never get updates on my case.",
        "They never called back as promised.", "No one explained what was happening."], [
        "They kept me informed at every step.", "Great updates by text message.",
        "Clear information about what would happen next."]),
    "price_value": ("value_for_money", [
        "Far too expensive for what you get.", "Another price rise this year.",
        "The tariff is poor value."], [
        "Good value compared with my last provider.", "A fair price and a good deal."]),
    "digital": ("app_ease", [
        "The app keeps logging me out.", "The website crashes when I try to pay.",
        "I cannot log in to my online account."], [
        "The app is great.", "The website is really easy to use."]),
    "ease": ("ease_of_contact", [
        "It was a hassle to reach anyone.", "So complicated, I was passed around four departments.",
        "Too many forms and hoops to jump through."], [
        "Easy to get in touch.", "A simple, straightforward process."]),
    "delivery_installation": ("installation", [
        "The engineer did not turn up for the appointment.", "Installation was botched and had to be redone.",
        "The delivery never arrived."], [
        "The engineer was brilliant and tidy.", "Installation went smoothly."]),
    "reliability": (None, [
        "The connection keeps dropping.", "Another outage this week.", "The service stopped working twice."], [
        "The service works well and is reliable."]),
}
NEUTRAL = ["No other comments.", "Nothing to add really.", "Fine overall.", "As expected."]
# sentences about a second theme too, as a reader would code them
ALSO = {
    "Far too slow to respond to emails.": ["communication"],
    "Nobody told me the appointment had moved.": ["delivery_installation"],
    "Payments are simple and the statement makes sense.": ["ease"],
    "The bill is clear and easy to read.": ["ease"],
    "The website is really easy to use.": ["ease"],
    "Nobody could fix the fault, I had to escalate it.": ["reliability"],
    "Still waiting for a refund of the extra charges.": ["waiting", "resolution"],
    "Everything was resolved quickly and properly.": ["waiting"],
}

SURNAMES = ["Smith", "Okafor", "Patel", "Kowalski", "Nguyen", "MacDonald", "Jones", "Haddad", "Murphy", "Fischer",
            "Rossi", "Andersen", "Campbell", "Walsh", "Khan", "Morgan"]
FIRST_NAMES = ["Sarah", "David", "Priya", "Tomasz", "Aisha", "James", "Chloe", "Mohammed", "Fiona", "Liam", "Ingrid",
               "Mateo", "Hannah", "Oliver", "Zainab", "Callum"]
STREETS = ["Acacia Avenue", "Mill Lane", "Station Road", "Church Street", "Park Drive", "Victoria Close", "Elm Grove"]
TOWNS = ["Leeds", "Bristol", "Glasgow", "Norwich", "Cardiff"]


def _luhn_number(rng: np.random.Generator) -> str:
    digits = [4] + list(rng.integers(0, 10, 14))
    total = 0
    for i, d in enumerate(reversed(digits)):
        k = int(d) * (2 if i % 2 == 0 else 1)
        total += k - 9 if k > 9 else k
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return " ".join(s[i:i + 4] for i in range(0, 16, 4))


def _postcode(rng: np.random.Generator) -> str:
    letters = "ABDEFGHJLNPRSTUWXYZ"
    return (f"{rng.choice(['LS', 'BS', 'G', 'NR', 'CF', 'M', 'SW'])}{rng.integers(1, 20)} "
            f"{rng.integers(1, 10)}{rng.choice(list(letters))}{rng.choice(list(letters))}")


def personal_sentence(rng: np.random.Generator) -> tuple[str, list[tuple[str, str]], list[str]]:
    """A sentence holding one or two planted personal items: the sentence, the items as (type, text), and the
    themes the sentence is about."""
    first, surname = str(rng.choice(FIRST_NAMES)), str(rng.choice(SURNAMES))
    staff = str(rng.choice(FIRST_NAMES))
    phone = str(rng.choice([f"07700 900{rng.integers(100, 1000)}", f"0113 496 0{rng.integers(100, 1000)}",
                            f"020 7946 0{rng.integers(100, 1000)}"]))
    email = f"{first.lower()}.{surname.lower()}{rng.integers(1, 99)}@example.com"
    number = f"{rng.integers(1, 200)} {rng.choice(STREETS)}"
    postcode = _postcode(rng)
    dob = f"{rng.integers(1, 29):02d}/{rng.integers(1, 13):02d}/{rng.integers(1950, 2001)}"
    card = _luhn_number(rng)
    account = f"{rng.integers(10_000_000, 99_999_999)}"
    kind = int(rng.integers(0, 8))
    if kind == 0:
        return (f"My name is {first} {surname}, please ring me on {phone}.",
                [("name", f"{first} {surname}"), ("phone", phone)], [])
    if kind == 1:
        return f"You can reach me at {email} if needed.", [("email", email)], []
    if kind == 2:
        return f"I live at {number}, {rng.choice(TOWNS)} {postcode}.", [("address", number), ("postcode", postcode)], []
    if kind == 3:
        return f"For security my date of birth is {dob}.", [("dob", dob)], []
    if kind == 4:
        return f"They charged card {card} twice.", [("card", card)], ["billing"]
    if kind == 5:
        return f"My account number is {account}.", [("account", account)], []
    if kind == 6:
        return f"{staff} at the branch was brilliant.", [("name", staff)], ["staff"]
    return f"Mr {surname} never called back.", [("name", f"Mr {surname}")], ["communication", "staff"]


def planted_comments(ratings: dict[str, np.ndarray], writes: np.ndarray, rng: np.random.Generator,
                     personal_share: float = 0.08, signal: bool = True) -> tuple[np.ndarray, list[dict]]:
    """Comments for the customers marked in ``writes`` (blank for the others) and the truth of each: its row, its
    themes and its personal items.

    A commenter mentions a theme with probability 0.55 when rating its touchpoint 1-2 (a complaint), 0.18 at 5
    (praise) and 0.04 otherwise; reliability, with no touchpoint, 0.05. Without ``signal`` the themes are drawn
    at their average rates, whatever the ratings.
    """
    n = len(writes)
    texts = np.full(n, "", dtype=object)
    truth: list[dict] = []
    # each theme's ratings looked up once (not a blank column made per commenter where a touchpoint is missing)
    rated = {theme: ratings.get(column) if column else None for theme, (column, _, _) in THEME_SENTENCES.items()}
    for i in np.flatnonzero(writes):
        sentences, themes, personal = [], [], []
        for theme, (column, complaints, praise) in THEME_SENTENCES.items():
            rating = rated[theme][i] if rated[theme] is not None else np.nan
            if not signal:
                p, negative = 0.12, rng.random() < 0.6
            elif np.isnan(rating) or rating == 0 or rating > 90:
                p, negative = 0.05, rng.random() < 0.6
            elif rating <= 2:
                p, negative = 0.55, True
            elif rating >= 5:
                p, negative = 0.18, False
            else:
                p, negative = 0.04, rng.random() < 0.5
            if rng.random() < p:
                pool = complaints if negative else praise
                sentence = pool[rng.integers(0, len(pool))]   # what rng.choice draws, without its array
                sentences.append(sentence)
                themes += [t for t in [theme, *ALSO.get(sentence, [])] if t not in themes]
        if not sentences:
            sentences.append(str(rng.choice(NEUTRAL)))
        if rng.random() < personal_share:
            sentence, items, about = personal_sentence(rng)
            sentences.insert(int(rng.integers(0, len(sentences) + 1)), sentence)
            personal += items
            themes += [t for t in about if t not in themes]
        order = rng.permutation(len(sentences))
        texts[i] = " ".join(sentences[k] for k in order)
        truth.append({"row": int(i), "themes": themes, "personal": personal})
    return texts, truth


# staff theme -> sentences a person would write about it ("what stops you serving customers better?")
STAFF_SENTENCES = {
    "systems_tools": ["The CRM system crashes several times a day.", "Our tools are outdated and slow.",
                      "I need three screens to see one customer's account."],
    "processes": ["Every refund needs a form and two approvals.", "The process for complaints is full of red tape.",
                  "Policies change every month."],
    "workload_staffing": ["We are understaffed on the phones.", "The workload means I am always rushed.",
                          "Not enough people on the late shift."],
    "training_skills": ["I had no training on the new products.", "More coaching would help new starters."],
    "authority": ["I am not allowed to waive a fee without my manager.", "My hands are tied on goodwill payments."],
    "silos": ["The other department never tells us about changes.", "Handovers between teams lose information."],
    "leadership": ["Senior management send mixed messages about priorities.", "Leaders do not walk the talk."],
    "recognition": ["Nobody is recognised for going the extra mile.", "Our bonus depends on call times, not on customers."],
    "customer_insight": ["We never see the customer feedback from surveys.", "I cannot see the customer history."],
}


def planted_staff_comments(departments: np.ndarray, lagging: str, rng: np.random.Generator,
                           share: float = 0.4, personal_share: float = 0.06) -> tuple[np.ndarray, list[dict]]:
    """Staff comments (blank for those who wrote none) and each one's truth: row, themes, personal items. The
    lagging department names processes and systems three times as often as the others."""
    n = len(departments)
    texts = np.full(n, "", dtype=object)
    truth: list[dict] = []
    for i in np.flatnonzero(rng.random(n) < share):
        sentences, themes, personal = [], [], []
        for theme, bank in STAFF_SENTENCES.items():
            p = 0.12 * (3 if departments[i] == lagging and theme in ("processes", "systems_tools") else 1)
            if rng.random() < p:
                sentences.append(str(rng.choice(bank)))
                themes.append(theme)
        if not sentences:
            sentences.append(str(rng.choice(NEUTRAL)))
        if rng.random() < personal_share:
            sentence, items, _ = personal_sentence(rng)
            sentences.append(sentence)
            personal += items
        order = rng.permutation(len(sentences))
        texts[i] = " ".join(sentences[k] for k in order)
        truth.append({"row": int(i), "themes": themes, "personal": personal})
    return texts, truth
