"""Believable film-board Markdown of realistic lengths, from a seeded random source."""
import random

SEARCH_TERM = "rotoscoped"  # a word only some bodies contain: the benchmark's search query

WORDS = """
the a of and to in that it is was for on with as his her at by this from but they not be are film
shot scene frame camera light dark ending opening score cut edit silence colour sound close-up wide lens
long take tracking dolly crane handheld focus grain stock print projection cinema screen audience director
actor actress performance dialogue script story plot character arc motif image rhythm pace tempo montage
mirror window street night morning rain city river station car train bridge kitchen staircase corridor
memory grief desire fear hope love time waiting walking looking listening remembering forgetting
quiet loud slow fast strange familiar beautiful cold warm bright faded sharp soft precise loose restless
noticed felt thought saw heard watched remembered missed loved hated admired doubted understood
because although while when after before until unless whereas however perhaps really almost never always
second third first last whole every each only even still again once twice later earlier finally
Varda Kieslowski Ozu Kubrick Agnes Tarkovsky Akerman Denis Hitchcock Wong Kar-wai Lynch Bergman Fellini
""".split()
TITLE_WORDS = """
Silent Harbour Glass River Night Station Long Summer Quiet Mirror Red Desert Winter Light Paper Moon
Last Train Blue Hour Cold Water Burning Field Empty City Open Door Hidden Garden Stranger Dance Ghost
Bright Lights Broken Promise Northern Road Secret Sunshine Distant Voices Floating Weeds Late Spring Wild
Strawberries Small Change Short Cuts Mulholland Stalker Solaris Persona Vertigo Rope Chungking Express
""".split()
THREAD_PHRASES = [
    "the ending, again", "that long take in the second act", "a rewatch after ten years", "is the score doing too much?",
    "what the mirrors mean", "the performance nobody talks about", "first-time viewer, some questions",
    "the cut from the window to the street", "is it really about grief?", "ranking the director's work",
    "the restoration vs. the old print", "sound design appreciation", "why the colour comes back",
    "the kitchen scene", "an essay on waiting", "did the ending work for you?", "the supporting cast",
]
LINK_HOSTS = ["https://www.example.org/essays/", "https://film.example.com/reviews/", "https://archive.example.net/"]
# Replies: mostly one to three paragraphs, some long; (weight, fewest, most paragraphs).
REPLY_LENGTHS = [(55, 1, 1), (30, 2, 3), (12, 4, 6), (3, 8, 14)]
OPENING_LENGTHS = [(15, 2, 3), (55, 4, 7), (30, 8, 14)]


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(6, 20))
    if rng.random() < 0.15:
        i, marker = rng.randrange(len(words)), rng.choice(["*", "**", "~~"])
        words[i] = f"{marker}{words[i]}{marker}"
    if rng.random() < 0.002:  # in about 1 post in 60
        words.insert(rng.randrange(len(words)), SEARCH_TERM)
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "?", "!"])


def paragraph(rng: random.Random) -> str:
    text = " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
    roll = rng.random()
    if roll < 0.05:
        return "> " + text
    if roll < 0.09:
        return "\n".join(f"- {sentence(rng)}" for _ in range(rng.randint(2, 5)))
    if roll < 0.13:
        return f"{text} ||{sentence(rng)}||"
    if roll < 0.17:
        return f"{text} See {rng.choice(LINK_HOSTS)}{rng.randint(1, 9999)} for more."
    if roll < 0.19:
        return f"{text} [the interview]({rng.choice(LINK_HOSTS)}{rng.randint(1, 9999)})."
    return text


def body(rng: random.Random, opening: bool = False) -> str:
    """A post's Markdown: paragraphs (with quotes, lists, spoilers, links), and headings in long essays."""
    lengths = OPENING_LENGTHS if opening else REPLY_LENGTHS
    _, fewest, most = rng.choices(lengths, weights=[weight for weight, *_ in lengths])[0]
    parts = []
    for index in range(rng.randint(fewest, most)):
        if opening and index and index % 4 == 0:
            parts.append("## " + " ".join(rng.choices(TITLE_WORDS, k=rng.randint(2, 4))))
        parts.append(paragraph(rng))
    return "\n\n".join(parts)


def film_title(rng: random.Random) -> str:
    return " ".join(rng.choices(TITLE_WORDS, k=rng.choice([1, 2, 2, 3, 3, 4])))


def thread_title(rng: random.Random) -> str:
    return rng.choice(THREAD_PHRASES).capitalize()
