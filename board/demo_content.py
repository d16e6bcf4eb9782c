"""The demo board loaded into an empty database by `make run`: original writing, a few film threads."""

MEMBERS = ["marguerite", "tomasz", "ines_r", "kenji-w", "oluwaseun"]

THREADS = [
    # ------------------------------------------------------------------
    # 1. Pinned welcome post
    # ------------------------------------------------------------------
    {
        "author": "oluwaseun",
        "film": ("Sherlock Jr.", 1924),
        "title": "Welcome to Reelboard — how threads, spoilers and replies work",
        "spoilers": False,
        "hours_ago": 200,
        "pinned": True,
        "body": """Welcome! This is a small demo board, but everything on it works the way the real thing does, so poke around, reply, vote, and break things.

## Threads belong to films

Every thread hangs off a **film**: a title and, if you know it, a year. Type it the way your keyboard allows — “Cléo from 5 to 7”, “cleo from 5 to 7”, it doesn’t matter. The board folds spellings together, so conversations about the same film end up side by side. (There are two Cléo threads below; that’s on purpose.)

## Spoilers

You have two tools, and we ask you to use both:

- Tick **“contains spoilers”** when a whole thread gives things away. Readers see the label before they open it.
- For a single line, wrap the words in double vertical bars. They stay hidden until a reader clicks or tabs to them — for example, in *Sherlock Jr.* ||the dozing projectionist really does climb into the screen, and every cut changes the world around him: a garden, a busy street, a cliff edge, a lion’s den||.

## Replies and votes

Reply to the opening post or to any reply; conversations nest, so you can follow who is answering whom. Votes mean *“this added something”*, not *“I agree”* — a good argument you disagree with deserves an up-vote.

## House rules

1. Argue with the reading, not the reader.
2. Mark your spoilers, even for a film from 1924. Someone is always seeing it for the first time.
3. Write your own words. Quote sparingly, link generously.

Why pin this to *Sherlock Jr.*? Because it is forty-five minutes long, it is about a man who loves the movies so much he falls into one, and [Buster Keaton](https://en.wikipedia.org/wiki/Buster_Keaton) never once asks you to take him seriously while doing the most serious work in the room. Seemed like the right house spirit.
""",
        "votes": {"marguerite": 1, "tomasz": 1, "ines_r": 1, "kenji-w": 1},
        "replies": [
            {
                "author": "kenji-w",
                "body": """Quick question: what if I don’t know the year? Half the things I want to talk about are half-remembered TV films.""",
                "votes": {"oluwaseun": 1, "ines_r": 1},
                "replies": [
                    {
                        "author": "oluwaseun",
                        "body": """Leave it blank. A year only helps tell apart films that share a title — there are a *lot* of films called *Crossroads*. If someone knows it later, the thread still makes sense without it.""",
                        "votes": {"kenji-w": 1},
                        "replies": [],
                    },
                ],
            },
            {
                "author": "marguerite",
                "body": """Seconding rule 2. I once had the ending of a 1930s melodrama spoiled by a footnote, and I am still, decades later, a little bit angry about it.""",
                "votes": {"tomasz": 1, "oluwaseun": 1, "kenji-w": 1},
                "replies": [
                    {
                        "author": "tomasz",
                        "body": """Footnotes are the worst offenders. Introductions to novels too — always read them *after*.""",
                        "votes": {"marguerite": 1, "ines_r": -1},
                        "replies": [],
                    },
                ],
            },
        ],
    },
    # ------------------------------------------------------------------
    # 2. The long-form essay
    # ------------------------------------------------------------------
    {
        "author": "marguerite",
        "film": ("Cléo from 5 to 7", 1962),
        "title": "Being looked at, and looking back: an essay on Cléo from 5 to 7",
        "spoilers": True,
        "hours_ago": 96,
        "pinned": False,
        "body": """There is a moment, a little under halfway through *Cléo from 5 to 7*, when the film seems to change its mind about whom it belongs to. Until then we have been with Cléo the way her admirers are: watching her try on hats, watching her watch herself in mirrors, watching her be petted and scolded and soothed. Then she pulls off her wig, puts on a plain black dress and walks out of her own apartment — and for the rest of the afternoon Paris looks at her a little less, and she looks at Paris a great deal more.

I have seen [Agnès Varda](https://en.wikipedia.org/wiki/Agn%C3%A8s_Varda)’s second feature perhaps six times now, and that hinge still catches me off guard. This essay is an attempt to say why. It discusses the whole film, ending included, so if you haven’t seen it, go and do that first. It is ninety minutes long, and they will be the best ninety minutes of your week.

## The premise, and the clock

The set-up is almost nothing. Cléo Victoire, a young singer with a few hit records behind her, is waiting for the results of a medical test. She is afraid it is cancer. The doctor will have the results at seven. The film follows her, more or less in real time, from five o’clock until about half past six, across the Left Bank and beyond, in thirteen chapters whose title cards announce whose point of view we are sharing and exactly which minutes of the afternoon they cover.

Those title cards are the film’s first joke and its first argument. *Cléo from 5:08 to 5:13* treats an ordinary afternoon with the gravity of a railway timetable. Varda is telling us that time is the subject here, and that a life can be measured in minutes without being made small by the measuring. Anyone who has waited for a call from a doctor will recognise the texture: the hours refuse to behave like hours. They break into little rooms, and you have to walk through them one at a time.

## The people she passes

The cast is small, and most of them drift through only a chapter or two, but every one leaves a mark:

- **Corinne Marchand** as Cléo — vain, frightened and, by the end, something steadier than either
- **Dominique Davray** as Angèle, her companion, housekeeper and part-time conscience
- **Michel Legrand** as Bob, the pianist (Legrand also wrote the score, and the songs Cléo sings)
- **José Luis de Vilallonga** as José, the lover who is always too busy to stay
- **Dorothée Blanck** as Dorothée, the friend who models for sculptors and sees nothing to blush about
- **Antoine Bourseiller** as Antoine, a soldier on the last afternoon of his leave from Algeria

## A woman made of mirrors

In the first half, Cléo is nearly all surface — the object of her own attention as much as anyone else’s. The prologue is the only sequence in colour: a tarot reading shot from above, the cards laid out like a hand of bad news. The reader tells her, with a fortune-teller’s bluntness, that there is illness in the cards. Then the film drains to black and white, and it never gets its colour back.

What follows is an inventory of reflections. Cléo checks her face in a café mirror, in a shop window, in the glass of a taxi. Varda films these reflections so often that they stop being a motif and become the weather: this is a world built out of glass, and Cléo lives in it the way a fish lives in water. In a milliner’s she tries on everything, and insists on a fur hat on the first day of summer. Angèle humours her, then scolds her, then humours her again.

It would have been easy to play this half as satire — the spoiled pop star, the flatterers, the lover who pats her on the head and leaves. Varda doesn’t. She lets Cléo be silly *and* genuinely afraid, and she refuses to tell us which is the real woman. The fear lives in small things: a superstition about a Tuesday, the seconds she counts before crossing a road, the way a stranger’s glance reads to her like a verdict.

## The song

The hinge comes in Cléo’s apartment, which is one of the great film sets of its decade: white, cavernous, with a bed like a stage and kittens wandering over the sheets. Her pianist and her lyricist arrive to rehearse. They clown around, they flatter her, and then they give her a new song, “Sans toi”.

It is a sad song about being alone, and while she sings it the camera does something it has not done before. It slowly closes in, the room falls away into darkness behind her, and Cléo is alone in the frame, singing straight into the lens. It is the one place where the film stops pretending to be a documentary of an afternoon. For three minutes it is a musical — and the musical tells her the truth: that everyone who loves her loves the performance, and that the performance is going to be no use to her at seven o’clock.

She stops. She tells them they are using her. She tears off the wig, changes into black, and goes out alone.

> The first time I saw it, I wrote in the margin of my notebook: *she isn’t leaving the room, she’s leaving the song.* I still think that’s right. Everything after this is her trying to find out who is left when the song is over.

## Looking back

Out in the streets, Cléo becomes someone else — or, more precisely, someone who has stopped being watched and started watching. The camera now often takes her point of view, and the faces of passers-by stare back at it, unposed and unimpressed. Varda was a stills photographer before she made films, and you can feel it: these faces are *collected*, each one held for exactly as long as it is interesting. A street performer swallows live frogs. A young couple argue. A man at a café table talks about painting as if the whole world should be listening.

In a café in Montparnasse, Cléo puts one of her own records on the jukebox and waits. Nobody turns round. It is the funniest moment in the film and the saddest, and it is also a release: the city does not need her to be Cléo. She can be anyone.

From there the afternoon loosens. She visits Dorothée, who poses nude for a sculpture class with a cheerful, practical indifference that Cléo clearly envies. When a mirror breaks in Dorothée’s handbag, Cléo reads it as an omen; Dorothée just sweeps it up. In a projection booth, Dorothée’s boyfriend Raoul shows them a silent comic short — a little film within the film, with Jean-Luc Godard and Anna Karina — in which a young man in dark glasses sees everything as a catastrophe, until he takes the glasses off and discovers that the world is perfectly fine. Varda is not subtle about it, and she doesn’t need to be. It’s a joke, and it’s also the film’s thesis with its sleeves rolled up.

## Antoine

Then comes the Parc Montsouris, and Antoine. He is a talker, a bit of a show-off, a soldier on the last day of his leave before going back to Algeria — the war that the film keeps at the edge of the frame, in radio bulletins and in the faces of young men. He does not recognise her. He does not care that she sings. He is the first person all afternoon to ask her real name, which turns out to be Florence; “Cléo” was something she put on, like the wig.

He is also the one who cheerfully points out that it is the longest day of the year, the day the sun passes into the sign of Cancer — and what is remarkable is that she laughs. For the first time, the word does not rule her. Two frightened people, one about to go back to a war and one about to learn her sentence, spend half an hour being kind to each other, and it is enough.

They take a bus to the hospital. The doctor has left. They wait in the garden, and eventually he drives past in his car, slows down, and ||tells her, almost in passing, that it is what she feared but that it can be treated — two months of radiation — and Cléo, looking at Antoine, says she thinks she is no longer afraid; she thinks she may even be happy||.

## Why it lasts

Notice that the film ends at about half past six, not at seven. The title promised us two hours and Varda gives us ninety minutes — which is another of her jokes, and another of her arguments. Appointments, prognoses, the neat shape of a story: none of them are kept quite the way we are promised. What we get instead is an afternoon in which a woman who has spent her life being looked at learns, in the space of a few streets, how to look back.

Sixty-odd years on, that is why it still feels modern to me. It is not a film about illness, or about celebrity, or even about Paris, though it is wonderful on all three. It is about the difference between being an image and being a person, and about how quickly — how *casually*, on a summer afternoon, between a bus stop and a hospital gate — that difference can be crossed.

If you have a favourite moment, or think I have the hinge in the wrong place, I would love to hear it. More on the film on [its Wikipedia page](https://en.wikipedia.org/wiki/Cl%C3%A9o_from_5_to_7), which is a decent starting point.
""",
        "votes": {"tomasz": 1, "ines_r": 1, "kenji-w": 1, "oluwaseun": 1},
        "replies": [
            {
                "author": "tomasz",
                "body": """Lovely piece, and I’m going to be the one who argues with it anyway.

I don’t think there *is* a hinge. The song is the loudest moment, sure, but Cléo is already looking outward before it — in the taxi she listens to the driver talk about her own life, and she’s curious. And she never stops checking mirrors after she leaves the apartment, either. To me the change is gradual, a slow tide rather than a door slamming.""",
                "votes": {"marguerite": 1, "ines_r": 1, "oluwaseun": -1},
                "replies": [
                    {
                        "author": "marguerite",
                        "body": """That’s fair about the taxi — the driver is one of the first people who treats her as a colleague rather than an ornament.

But I’d say the mirrors after the song are *different* mirrors. Before, she looks to check the image is intact. After, she looks the way you’d look at a stranger on a train: curious, a bit amused. Same gesture, new meaning. A hinge can still be quiet.""",
                        "votes": {"tomasz": 1, "kenji-w": 1},
                        "replies": [
                            {
                                "author": "tomasz",
                                "body": """Hm. Then what do you make of the jukebox? Putting on your own record and waiting for applause seems like the *most* vain thing she does all day — and it’s well after the song.""",
                                "votes": {"ines_r": 1},
                                "replies": [
                                    {
                                        "author": "ines_r",
                                        "body": """I’ve always read the jukebox as a test she sets herself rather than vanity. She *wants* to know whether anyone would notice. When nobody does, she doesn’t sulk — she looks almost relieved. It’s the moment she finds out she can be anonymous, and that anonymity might be a kind of freedom rather than a kind of death.""",
                                        "votes": {"marguerite": 1, "tomasz": 1, "oluwaseun": 1},
                                        "replies": [
                                            {
                                                "author": "marguerite",
                                                "body": """That’s a better reading of the jukebox than anything in my essay. I may have to steal it for the second draft.""",
                                                "votes": {"ines_r": 1},
                                                "replies": [],
                                            },
                                            {
                                                "author": "tomasz",
                                                "body": """All right, I’m persuaded. Mostly. I’m keeping the taxi.""",
                                                "votes": {"marguerite": 1, "kenji-w": 1},
                                                "replies": [],
                                            },
                                        ],
                                    },
                                ],
                            },
                        ],
                    },
                ],
            },
            {
                "author": "kenji-w",
                "body": """I had no idea her real name was Florence. I watched it last month and completely missed that. Great essay — bookmarked.""",
                "votes": {"marguerite": 1},
                "replies": [
                    {
                        "author": "oluwaseun",
                        "body": """Easy to miss — it’s delivered so lightly. “Cléo” is short for Cléopâtre, which tells you everything about the persona she’d built.""",
                        "votes": {"kenji-w": 1, "tomasz": 1},
                        "replies": [],
                    },
                ],
            },
            {
                "author": "oluwaseun",
                "body": """What stays with me on every rewatch is how the Algerian war hangs over everything without ever taking the foreground. It’s in the radio news in the taxi, in the soldiers on the boulevards, and finally in Antoine, who is going back that very evening.

It reframes Cléo’s fear, too. She’s waiting for a sentence she might not survive; he’s walking towards one. The film never compares them out loud — it just lets them sit on the same bench. That restraint is, for me, the most political thing in it.""",
                "votes": {"marguerite": 1, "ines_r": 1, "kenji-w": 1, "tomasz": 1},
                "replies": [
                    {
                        "author": "tomasz",
                        "body": """Yes. And it was made in 1961, while the war was still going on — this wasn’t hindsight. Audiences would have known exactly what it meant that he had to be back on a train that night.""",
                        "votes": {"oluwaseun": 1},
                        "replies": [],
                    },
                    {
                        "author": "ines_r",
                        "body": """Devil’s advocate: isn’t Antoine a bit convenient? The frightened woman is rescued from her fear by a charming man who turns up at exactly the right moment. It’s the one part of the film that feels written rather than observed.""",
                        "votes": {"tomasz": 1, "marguerite": -1},
                        "replies": [
                            {
                                "author": "marguerite",
                                "body": """I don’t think he rescues her — he keeps her company. He can’t change the result, and he doesn’t pretend to. What he offers is attention without appetite: he looks at her without wanting anything from the image. That’s exactly what nobody else in the film has given her.""",
                                "votes": {"oluwaseun": 1, "kenji-w": 1},
                                "replies": [
                                    {
                                        "author": "ines_r",
                                        "body": """Keeping someone company is a kind of rescue, though. But fine — a gentle one.""",
                                        "votes": {"marguerite": 1, "oluwaseun": 1},
                                        "replies": [],
                                    },
                                ],
                            },
                        ],
                    },
                ],
            },
            {
                "author": "ines_r",
                "body": """Nobody has mentioned Michel Legrand yet, which is a crime. “Sans toi” is a perfect pastiche of a hit ballad *and* a genuinely good song, and he sits there at the piano playing a version of himself. Has anyone found a decent recording of the soundtrack?""",
                "votes": {"kenji-w": 1, "tomasz": -1},
                "replies": [],
            },
        ],
    },
    # ------------------------------------------------------------------
    # 3. Same film, different spelling: a newcomer's question
    # ------------------------------------------------------------------
    {
        "author": "kenji-w",
        "film": ("cleo from 5 to 7", 1962),
        "title": "First watch: why does it end at 6:30 if it’s called “from 5 to 7”?",
        "spoilers": False,
        "hours_ago": 20,
        "pinned": False,
        "body": """Watched this last night for a film club, my first Varda, and I loved it — the chapter cards with the exact minutes on them, the walk through Paris, the way the city just keeps happening around her.

But one thing bugged me all the way home. The chapters count down the time so precisely, and then the film ends at about half past six. I kept waiting for the missing half hour. Is it:

- a mistake (seems unlikely, given how exact everything else is),
- a translation thing I’m not getting, or
- a deliberate point?

I’ve deliberately *not* read anything about it yet, because I wanted to ask people first. No spoilers about the ending in the answers please — a couple of friends from the club are watching it this weekend and will probably read this thread.

Also, small secondary question: is the colour at the very start the only colour in the film? I half-expected it to come back at the end, the way some films bookend themselves, and it didn’t. I can’t decide whether that felt like a cheat or a gift.""",
        "votes": {"marguerite": 1, "oluwaseun": 1, "tomasz": 1},
        "replies": [
            {
                "author": "marguerite",
                "body": """Good question, and it is deliberate. Two things worth knowing:

1. In French, *un cinq à sept* is an idiom: the late-afternoon hours between work and home, traditionally the hours for a discreet rendezvous with a lover. So the title already has a wink in it before you even start counting minutes.
2. The film’s runtime is roughly ninety minutes, and it keeps pace with the clock. Varda simply doesn’t give you the last half hour. Make of that what you will — I wrote a long essay about what *I* make of it in the other Cléo thread (spoilers there, though!).

And yes, the colour is only the opening. It doesn’t come back.""",
                "votes": {"kenji-w": 1, "oluwaseun": 1, "ines_r": 1},
                "replies": [
                    {
                        "author": "kenji-w",
                        "body": """Oh, that idiom changes everything. So the title is partly a joke about her lover — who, if I remember rightly, can barely spare her ten minutes.""",
                        "votes": {"marguerite": 1},
                        "replies": [
                            {
                                "author": "tomasz",
                                "body": """Exactly. The one person the title “belongs” to is the one who doesn’t show up for it. Varda gives those hours to everyone *except* the lover.""",
                                "votes": {"kenji-w": 1, "marguerite": 1},
                                "replies": [],
                            },
                        ],
                    },
                ],
            },
            {
                "author": "oluwaseun",
                "body": """On the colour question: I’d call it a gift. The prologue is fortune-telling, the world as Cléo *fears* it. Everything afterwards is the world as it is. Bringing the colour back would undo that.""",
                "votes": {"kenji-w": 1, "tomasz": 1},
                "replies": [],
            },
            {
                "author": "ines_r",
                "body": """Honestly, I think people overthink the title. Ninety minutes was a normal length; Varda had a story that fit it. Sometimes a missing half hour is just a missing half hour.""",
                "votes": {"marguerite": -1, "tomasz": -1, "oluwaseun": 1},
                "replies": [
                    {
                        "author": "kenji-w",
                        "body": """Maybe — but the film is so precise about every other minute that it’s hard to believe she just ran out of afternoon. If it were an accident, it’s the happiest accident in the film.""",
                        "votes": {"ines_r": 1, "marguerite": 1},
                        "replies": [],
                    },
                ],
            },
        ],
    },
    # ------------------------------------------------------------------
    # 4. Rewatch notes
    # ------------------------------------------------------------------
    {
        "author": "tomasz",
        "film": ("Three Colours: Blue", 1993),
        "title": "Rewatch notes: Three Colours: Blue, thirty years on",
        "spoilers": True,
        "hours_ago": 150,
        "pinned": False,
        "body": """I first saw Krzysztof Kieślowski’s *Blue* at nineteen, and I thought it was a beautiful, cold film about a woman who refuses to feel anything. Rewatching it this week, I think I had it almost exactly backwards. It’s a film about a woman who feels *everything* and is trying, with enormous discipline, to keep it from reaching her face.

Some notes, in no particular order.

**Juliette Binoche.** The whole film rests on her stillness. Julie survives the car crash that kills her husband, a celebrated composer, and their small daughter, and from then on she tries to live without attachments — no possessions, no friends, no music. Binoche plays it almost entirely through attention: where she looks, how long she lets something touch her. Watch her hand drag along a stone wall until the knuckles bleed. It’s the loudest thing she does all film.

**The blackouts.** Four or five times, the screen fades to black while a swell of music plays, and then comes back to *the same moment*. Time doesn’t pass; grief just interrupts it. I didn’t notice this was a device at nineteen. Now it’s the thing I remember most.

**Blue itself.** The blue glass mobile, the swimming pool at night, a blue lollipop wrapper — the colour arrives like a memory she hasn’t agreed to have.

**The sugar cube.** Julie dips a cube into her coffee and watches it soak up the brown, in close-up, for a few seconds that feel very long. Kieślowski reportedly timed it. I believe that.

**The ending.** ||Julie discovers that her husband had a mistress, that the mistress is pregnant — and instead of rage she gives her the house and his name for the child, and then goes back to finishing his unfinished concerto||. I used to find this too neat. Now it seems to me the first free choice she makes in the whole film, which, given that it’s the “liberty” part of the trilogy, is presumably the point.

**Zbigniew Preisner’s score** deserves its own thread. Anyone?

If you’ve only seen *Red*, which gets most of the love, go back to this one. More on the trilogy [here](https://en.wikipedia.org/wiki/Three_Colours:_Blue).""",
        "votes": {"marguerite": 1, "ines_r": 1, "oluwaseun": 1, "kenji-w": -1},
        "replies": [
            {
                "author": "ines_r",
                "body": """The blackouts are extraordinary. They work like a held breath: the story stops, the music takes over, and when the picture comes back she’s exactly where she was, as if the world politely waited for her to finish.""",
                "votes": {"tomasz": 1, "oluwaseun": 1},
                "replies": [
                    {
                        "author": "tomasz",
                        "body": """“As if the world waited for her” — yes. And she hates it. The whole film she’s trying to get the world to stop being polite to her.""",
                        "votes": {"ines_r": 1},
                        "replies": [
                            {
                                "author": "kenji-w",
                                "body": """This is making me want to rewatch it tonight. I remember the blackouts as just “arty” the first time; I think I was simply not listening.""",
                                "votes": {"tomasz": 1, "ines_r": 1},
                                "replies": [],
                            },
                        ],
                    },
                ],
            },
            {
                "author": "oluwaseun",
                "body": """The scene that undoes me is Julie visiting her mother — Emmanuelle Riva, of all people — in the care home. Her mother doesn’t quite know who she is and watches people bungee-jumping on television. Julie tells her the truth about everything, because it’s safe to tell someone who won’t remember. Five minutes, and it’s a whole film.""",
                "votes": {"tomasz": 1, "marguerite": 1, "ines_r": 1, "kenji-w": 1},
                "replies": [],
            },
            {
                "author": "marguerite",
                "body": """I’m going to gently disagree with the rewatch. I still find *Blue* a touch too controlled. Every frame is so composed that grief starts to look like good taste. *Red* has the same intelligence but lets in more air — and more people.""",
                "votes": {"ines_r": 1, "oluwaseun": -1, "kenji-w": -1},
                "replies": [
                    {
                        "author": "tomasz",
                        "body": """I understand that, but I think the control *is* the subject. Julie is trying to make her life as composed as the frames — no loose ends, no belongings, no one she owes anything to. The cracks (the flute player in the street, the mice, the neighbour calling her at midnight) are the film showing that it can’t be done.""",
                        "votes": {"marguerite": 1, "ines_r": 1},
                        "replies": [
                            {
                                "author": "marguerite",
                                "body": """That’s a good defence, and I can’t entirely answer it. Perhaps I just prefer my films a little messier than my grief.""",
                                "votes": {"tomasz": 1, "oluwaseun": 1},
                                "replies": [],
                            },
                        ],
                    },
                ],
            },
            {
                "author": "kenji-w",
                "body": """Small thing: the old woman struggling to push a bottle into the recycling bin. Julie sits in the sun with her eyes closed and never sees her. It comes back in the other two films, and who notices her each time is a little test of the main character.""",
                "votes": {"tomasz": 1, "oluwaseun": 1, "marguerite": 1},
                "replies": [],
            },
        ],
    },
    # ------------------------------------------------------------------
    # 5. A review, film entered without a year
    # ------------------------------------------------------------------
    {
        "author": "ines_r",
        "film": ("Portrait of a Lady on Fire", None),
        "title": "Portrait of a Lady on Fire is a film about who gets to look",
        "spoilers": False,
        "hours_ago": 45,
        "pinned": False,
        "body": """I’ve been trying to write about Céline Sciamma’s *Portrait of a Lady on Fire* for weeks, and every draft turns into a list of images: a canvas floating in the sea, a green dress, a hem catching light, a page of a book. So perhaps that’s the honest way in.

The story is simple. Late in the eighteenth century, a painter, Marianne, is brought to a house on an island off Brittany to paint a young woman, Héloïse, for a marriage portrait. Héloïse refuses to sit. So Marianne is introduced as a walking companion, and she paints in secret, from memory, at night.

What the film does with that set-up is remarkable. At first, Marianne looks and Héloïse is looked at — the same old arrangement, painter and subject. But Héloïse is looking back the whole time, and when she finally says so, the film quietly turns. Everything after is about two people looking at each other *as equals*, which turns out to be the most romantic thing a camera can show.

A few things I loved:

- **Noémie Merlant** and **Adèle Haenel**, who can do more with a held glance than most actors do with a monologue.
- **The silence.** There is almost no score. When music does arrive, it arrives like weather.
- **The household.** Sophie, the young maid, is not a side character; the three women together, playing cards and reading aloud while the mistress of the house is away, feel like a small, temporary republic.

The film knows how its story must end, and so do we. What surprised me is how little that hurts, and how much it means. Without giving anything away: ||the final shot is a single long take of a face in a concert hall, listening to Vivaldi, and it is one of the best endings I know||.

I’ve left the year off on purpose — it doesn’t feel like a film *of* any year. More [here](https://en.wikipedia.org/wiki/Portrait_of_a_Lady_on_Fire) if you want the details.""",
        "votes": {"marguerite": 1, "kenji-w": 1, "oluwaseun": 1, "tomasz": 1},
        "replies": [
            {
                "author": "marguerite",
                "body": """“Two people looking at each other as equals” — that’s it exactly. It would make a lovely double bill with *Cléo*, come to think of it.""",
                "votes": {"ines_r": 1, "oluwaseun": 1},
                "replies": [],
            },
            {
                "author": "tomasz",
                "body": """I admired it more than I loved it. The scene where they read the Orpheus myth aloud and discuss why he turned round felt a bit too much like the film explaining itself. Sciamma is so precise everywhere else that the one on-the-nose moment really stands out.""",
                "votes": {"kenji-w": 1, "ines_r": -1, "marguerite": -1},
                "replies": [
                    {
                        "author": "ines_r",
                        "body": """I get why it reads that way, but I’d argue it isn’t explanation — it’s *negotiation*. They aren’t telling us what the film means; they’re arguing about what a story owes its lovers, and each of them is quietly arguing for a different ending. The film then gives them one.""",
                        "votes": {"marguerite": 1, "oluwaseun": 1, "kenji-w": 1},
                        "replies": [
                            {
                                "author": "oluwaseun",
                                "body": """Both of you can be right, I think. The scene is on-the-nose *as a scene*, and it pays off so completely later that I forgive it. Setups are allowed to be a little visible if the payoff is that good.""",
                                "votes": {"tomasz": 1, "ines_r": 1},
                                "replies": [
                                    {
                                        "author": "tomasz",
                                        "body": """That I’ll accept. I just wish it had trusted us a fraction more.""",
                                        "votes": {"oluwaseun": 1},
                                        "replies": [],
                                    },
                                ],
                            },
                        ],
                    },
                ],
            },
            {
                "author": "oluwaseun",
                "body": """The bonfire scene. The women of the village start a chant, clapping, layering voices — no instruments, nothing you could call a melody at first — and it builds until it sounds ancient. I hadn’t heard anything like it in a cinema before, and the hem of that dress catching alight is the title made literal.""",
                "votes": {"ines_r": 1, "kenji-w": 1},
                "replies": [],
            },
        ],
    },
]
