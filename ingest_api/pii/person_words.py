"""Hand-written word lists of the PERSON recognizer: what a capitalised word next to a name is.

Lowercased. They hold general knowledge (English function words, titles, months, products,
place and organisation words), not names from any corpus.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# particles inside a name ("Ludwig van Beethoven", "Ines van der Berg", "Marco Di Stefano")
PARTICLES = _words("van von der den de del della di da dos das du la le bin ibn al el ter ten")

# capitalised words that are not names: function words and sentence starters, greetings and
# closers, roles and collective addressees; stripped from the ends of a run of capitalised words
NOT_NAMES = _words(
    """
    a an the this that these those it its i i'm im my we our you your he she they his her their
    is are was were be been am do does did can could will would shall should may might must
    and or but if then so because when while where what who whom why how which not no yes ok
    okay please hi hello hey dear thanks thank cheers regards best kind warm sincerely yours
    greetings good morning afternoon evening night welcome bye goodbye sorry congrats
    here there everyone everybody all team folks guys sir madam customer customers client user
    users admin administrator support staff member members colleague colleagues friend friends
    anonymous unknown nobody someone somebody bot assistant agent operator manager owner
    attn re fw fwd subject from to cc bcc date sent note notes update info warning error debug
    ticket issue status priority summary description assignee reporter requester labels
    today tomorrow yesterday tonight
    january february march april june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday
    in on at of for with by about into over after before under between via per as
    user's customer's ai llm api json http https sql url
    patient passenger guest employee candidate contact author requester reporter
    ask tell call email ping send forward check meet met
    """
)

# words that also are first names but mostly mean something else in LLM text (places, months,
# virtues, verbs): such a first name needs a surname from the lexicon or a context cue
AMBIGUOUS_FIRST = _words(
    """
    will mark bill max grace hope faith joy summer rose jade ruby amber may june april august
    page sage chase frank carter angel victoria florence georgia jordan austin dallas phoenix
    sydney paris lincoln washington chester preston devon berlin london madison savannah
    charlotte virginia carolina india china jersey orlando houston denver brooklyn israel
    aurora sierra nova star sky river rain storm dawn autumn winter lily daisy iris ivy holly
    cherry honey candy crystal pearl destiny harmony melody miracle patience prudence
    major king prince princess duke earl baron bishop dean judge justice marshall sterling
    royal rich young long short little small strong guy
    """
)

# a run holding any of these is a product, a model or an assistant, not a person
PRODUCTS = _words(
    """
    gemini claude gpt chatgpt openai llama mistral mixtral gemma phi qwen grok copilot siri
    alexa cortana bard perplexity deepseek anthropic sonnet opus haiku flash pro ultra nano
    mini turbo large medium small instant code studio docs sheets drive excel word teams
    outlook music prime cloud model focus reader actions workspace android iphone ipad pixel
    galaxy windows linux ubuntu chrome firefox safari edge python java rust kotlin swift
    """
)

# a run holding any of these is an organisation, a place, a role or an eponym, not a person
NOT_PERSON_PARTS = _words(
    """
    inc corp corporation ltd llc gmbh ag sa plc co company companies group holdings labs
    technologies systems solutions services partners bank capital ventures foundation
    institute university college school academy hospital clinic department dept office
    support success sales billing operations engineering marketing desk center centre
    street st road rd avenue ave boulevard lane drive way square station airport terminal
    river lake bay beach island islands mountain mount valley falls heights hills springs
    park garden gardens hall bridge tower palace museum county city state province region
    north south east west central saint santa santo san são el los las fort port new
    prize award plan problem theorem law effect syndrome disease principle paradox
    day sale week month edition release version
    team staff crew desk accounts receivable payable finance legal security platform data
    product design research helpdesk service care relations recruiting admissions
    """
)
