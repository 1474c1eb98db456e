"""The tables demo and scale data are drawn from: plain data, no logic.

The demo accounts and their services; then, for the numbered providers, the markets, the word
lists their names are made of, the kinds of provider and what each category's listings offer.
"""

from dataclasses import dataclass

from accounts.models import Role
from catalog.services import ServiceData

DEMO_PASSWORD = "gigsta-demo-2026"

DEMO_USERS = [
    # email, display name, role, city, bio
    ("client@demo.gigsta.local", "Casey Client", Role.CLIENT, "", ""),
    ("venue@demo.gigsta.local", "The Blue Door Venue", Role.CLIENT, "", ""),
    (
        "dj@demo.gigsta.local",
        "DJ Nova",
        Role.PROVIDER,
        "Berlin, Germany",
        "House and disco sets for weddings, launches and late nights. Own sound system and lights.",
    ),
    (
        "band@demo.gigsta.local",
        "The Night Owls",
        Role.PROVIDER,
        "Hamburg, Germany",
        "Five-piece soul and funk band. First dance to last song, we keep the floor full.",
    ),
    (
        "photo@demo.gigsta.local",
        "Mira Lens Photography",
        Role.PROVIDER,
        "Munich, Germany",
        "Documentary wedding and event photography. Edited gallery within two weeks.",
    ),
]

DEMO_SERVICES = {
    "dj@demo.gigsta.local": [
        ServiceData(
            title="Wedding DJ with sound system and lights",
            description=(
                "From the drinks reception to the last dance: a consultation beforehand, your must-play "
                "and do-not-play lists, a wireless microphone for speeches, and a PA and dance-floor "
                "lighting set up before your guests arrive."
            ),
            category="dj",
            price_minor=120000,
            currency="EUR",
            duration_minutes=360,
            city="Berlin, Germany",
        ),
        ServiceData(
            title="House and disco DJ set for launches and parties",
            description=(
                "House, nu-disco and classic disco for product launches, club nights and birthday "
                "parties, booked by the hour. Works with the venue's sound system or brings its own."
            ),
            category="dj",
            price_minor=None,
            currency="EUR",
            duration_minutes=180,
            city="Berlin, Germany",
            pricing="hourly",
            hourly_rate_minor=22000,
            min_duration_minutes=120,
        ),
    ],
    "band@demo.gigsta.local": [
        ServiceData(
            title="Soul and funk band for weddings",
            description=(
                "Five musicians, two sets of soul, funk and Motown classics, a playlist between sets and "
                "your first dance learned on request. Own PA and lights for up to 200 guests."
            ),
            category="live-music",
            price_minor=280000,
            currency="EUR",
            duration_minutes=240,
            city="Hamburg, Germany",
            deposit_percent=30,
            balance_due_days=21,
        ),
        ServiceData(
            title="Acoustic duo for ceremonies and receptions",
            description=(
                "Guitar and vocals for the ceremony, the signing and the drinks reception: gentle covers "
                "of pop and soul songs, played unplugged or with a small speaker."
            ),
            category="live-music",
            price_minor=90000,
            currency="EUR",
            duration_minutes=120,
            city="Hamburg, Germany",
        ),
    ],
    "photo@demo.gigsta.local": [
        ServiceData(
            title="Full-day wedding photography",
            description=(
                "From getting ready to the first dance, documentary style with a few relaxed portraits. "
                "An online gallery of 500+ edited photos within two weeks, with print rights."
            ),
            category="photography",
            price_minor=240000,
            currency="EUR",
            duration_minutes=480,
            city="Munich, Germany",
        ),
        ServiceData(
            title="Event and conference photography",
            description=(
                "Speakers, audience, networking and brand moments, booked by the hour and delivered as "
                "edited photos the next working day, ready for press releases and social media."
            ),
            category="photography",
            price_minor=None,
            currency="EUR",
            duration_minutes=240,
            city="Munich, Germany",
            pricing="hourly",
            hourly_rate_minor=19500,
            min_duration_minutes=60,
        ),
    ],
}

# The numbered providers of `seed_demo --providers N`.
SCALE_DOMAIN = "scale.gigsta.local"

# Countries GigSta takes bookings in: the EU, its European neighbours, and four overseas markets.
# fmt: off
EUROPE_MARKETS = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "GB", "CH", "NO", "IS",
})
OVERSEAS_MARKETS = frozenset({"US", "CA", "AU", "NZ"})
EUROPE_CITIES, OVERSEAS_CITIES, EUROPE_SHARE = 240, 60, 0.8
# Local currencies a 150-5000 price reads naturally in; elsewhere listings are priced in euros.
LOCAL_CURRENCIES = frozenset({"EUR", "GBP", "CHF", "USD", "CAD", "AUD", "NZD"})
JITTER_KM = 6.0
KM_PER_DEGREE = 111.32
BLOCKED_SHARE, BLOCK_HORIZON_DAYS = 0.2, 60

FIRST_NAMES = (
    "Mira", "Lena", "Jonas", "Elif", "Noah", "Sofia", "Luca", "Amara", "Finn", "Zoe", "Malik", "Ines", "Theo",
    "Clara", "Emil", "Nora", "Leo", "Hana", "Jakob", "Yara", "Oscar", "Maja", "Felix", "Alba", "Kai", "Lotte",
    "Milan", "Rosa", "Aaron", "Ida", "Samir", "Freya", "Paul", "Marta", "Jules", "Nina", "Tomas", "Esme", "Ben",
    "Livia",
)
LAST_NAMES = (
    "Weber", "Novak", "Rossi", "Berger", "Jensen", "Moreau", "Kowalski", "Silva", "Fischer", "Costa", "Dubois",
    "Hansen", "Keller", "Romano", "Nowak", "Meyer", "Lindqvist", "Murphy", "Schmidt", "Garcia", "Bauer", "Horvat",
    "Janssen", "Dumont", "Olsen", "Ricci", "Becker", "Varga", "Martin", "Brennan",
)
DJ_NAMES = (
    "Nova", "Pulse", "Echo", "Vega", "Orbit", "Blaze", "Luma", "Sable", "Kinetic", "Mosaic", "Onyx", "Juno",
    "Static", "Atlas", "Neon", "Halo", "Flux",
)
ADJECTIVES = (
    "Velvet", "Golden", "Midnight", "Electric", "Silver", "Crimson", "Wild", "Lucky", "Blue", "Paper", "Neon",
    "Copper", "Honey", "Jade", "Scarlet", "Hollow", "Gentle", "Brass", "Lunar", "Amber", "Salty", "Wandering",
)
BAND_NOUNS = (
    "Owls", "Foxes", "Lanterns", "Sparrows", "Tigers", "Comets", "Rivers", "Ravens", "Hearts", "Wolves", "Magpies",
    "Strings", "Satellites", "Moths",
)
PHOTO_WORDS = (
    "Lens", "Light", "Frame", "Focus", "Shutter", "Aperture", "Grain", "Moment", "Mirror", "Story",
)
FOOD_WORDS = (
    "Fork", "Olive", "Ladle", "Saffron", "Fig", "Pepper", "Clove", "Basil", "Oak", "Ember",
)
SOUND_WORDS = (
    "Wave", "Signal", "Decibel", "Stage", "Beam", "Volt", "Echo", "Rig",
)
# fmt: on


@dataclass(frozen=True)
class Kind:
    """A type of provider: how they are named, what they write about themselves, what they offer."""

    weight: float
    category: str  # the category most of their services are in
    side_categories: tuple[str, ...]  # what they sometimes offer too
    name_patterns: tuple[str, ...]
    bio: tuple[str, ...]


KINDS = (
    Kind(
        0.22,
        "live-music",
        ("live-music", "sound-lighting"),
        (
            "The {adj} {band}",
            "{first} {last} Quartet",
            "{first} & the {band}",
            "{adj} {band} Band",
            "{first} {last} Trio",
        ),
        (
            "We play weddings, festivals and private parties, with our own PA and lights.",
            "Covers from Motown to modern pop, learned to order for your first dance.",
            "Professional musicians with hundreds of gigs behind us and a repertoire of 300 songs.",
        ),
    ),
    Kind(
        0.16,
        "dj",
        ("dj", "sound-lighting", "mc-host"),
        ("DJ {dj} {num}", "DJ {dj}", "{first} {last} DJ Services", "DJ {first} {dj}"),
        (
            "Reading a dance floor since the vinyl days; house, disco, hip-hop and the classics.",
            "Weddings, corporate parties and club nights, with my own sound and lighting.",
            "I play what your guests want, and I never play the song you told me to skip.",
        ),
    ),
    Kind(
        0.15,
        "photography",
        ("photography", "videography"),
        ("{first} {photo} Photography", "{first} {last} Photography", "{adj} {photo} Studio"),
        (
            "Documentary wedding and event photographer, relaxed and unobtrusive.",
            "Natural light, honest moments and a gallery you will want to print.",
            "Weddings, portraits and corporate events; edited photos within two weeks.",
        ),
    ),
    Kind(
        0.08,
        "videography",
        ("videography", "photography"),
        ("{adj} Frame Films", "{first} {last} Films", "{last} & {last2} Video"),
        (
            "Cinematic wedding films and event highlights, filmed with two cameras and drone.",
            "Short films that tell your day as it felt, delivered in 4K with licensed music.",
        ),
    ),
    Kind(
        0.06,
        "mc-host",
        ("mc-host", "dj"),
        ("MC {first} {last}", "{first} {last} Hosting", "Host {first} {last}"),
        (
            "Bilingual host for weddings, galas and conferences, keeping the programme on time.",
            "Warm, funny and prepared: I run your evening so you can enjoy it.",
        ),
    ),
    Kind(
        0.06,
        "dance",
        ("dance", "kids-entertainment"),
        ("{adj} Feet Dance Company", "{first} {last} Dance", "{adj} Motion Dance Crew"),
        (
            "Professional dancers for shows, flash mobs and first-dance lessons.",
            "Salsa, swing, contemporary and hip-hop: performances and workshops for every event.",
        ),
    ),
    Kind(
        0.07,
        "magic",
        ("magic", "kids-entertainment", "mc-host"),
        ("The Great {last}", "{first} the Magician", "{first} {last} Comedy", "Magic {first}"),
        (
            "Close-up magic and stand-up comedy that gets your guests talking.",
            "Member of the Magic Circle; sleight of hand, mind reading and plenty of laughs.",
        ),
    ),
    Kind(
        0.09,
        "catering",
        ("catering",),
        ("{adj} {food} Catering", "{first}'s Kitchen", "{food} & {food2} Bar Co.", "{last} Street Food"),
        (
            "Seasonal, local menus for weddings and company events, from canapes to three courses.",
            "Food truck, cocktail bar and buffet catering; vegan and gluten-free options always.",
        ),
    ),
    Kind(
        0.06,
        "kids-entertainment",
        ("kids-entertainment", "magic", "dance"),
        ("Captain {first}'s Party Show", "{adj} Balloon Circus", "{first} the Clown", "Funtastic {first}"),
        (
            "Children's parties full of games, balloon animals, face painting and giggles.",
            "Interactive shows for ages 3 to 10; DBS-checked and fully insured.",
        ),
    ),
    Kind(
        0.05,
        "sound-lighting",
        ("sound-lighting", "dj"),
        ("{adj} {sound} Audio", "{last} Stage & Sound", "{sound} Event Technik"),
        (
            "PA hire, stage lighting and technicians for events from 20 to 2,000 guests.",
            "Delivery, set-up and a sound engineer on site, from speeches to live bands.",
        ),
    ),
)


@dataclass(frozen=True)
class Offer:
    """What a category's listings look like: title and description parts, prices and durations."""

    titles: tuple[str, ...]
    styles: tuple[str, ...]
    openers: tuple[str, ...]
    details: tuple[str, ...]
    price_range: tuple[int, int]  # whole currency units, within 150-5000
    durations: tuple[int, ...]  # minutes, within 60-480


EVENTS = (
    "weddings",
    "corporate events",
    "birthday parties",
    "galas",
    "festivals",
    "Christmas parties",
    "launch parties",
    "garden parties",
)

OFFERS = {
    "live-music": Offer(
        titles=(
            "{style} band for {event}",
            "{style} cover band, two sets",
            "Acoustic {style} duo for {event}",
            "{style} trio for dinners and receptions",
            "Live {style} band with own PA",
            "String quartet for ceremonies and {event}",
            "Solo singer and guitarist for {event}",
        ),
        styles=("Soul", "Funk", "Jazz", "Swing", "Rock", "Pop", "Indie", "Latin", "Folk", "Motown", "Blues"),
        openers=(
            "A live band that fills the dance floor at {event}.",
            "Professional musicians playing the songs everyone knows, live and loud.",
            "Our band plays {style} classics and current hits, with the energy of a festival stage.",
        ),
        details=(
            "Two 45-minute sets or three 40-minute sets, with a playlist in the breaks.",
            "We learn your first dance song at no extra cost.",
            "Own PA and lighting for up to 250 guests; set-up takes 90 minutes.",
            "Line-up of vocals, guitar, bass, keys and drums; a horn section on request.",
            "Background music for dinner, then a party set for the evening.",
            "Videos of recent gigs and a full song list on request.",
        ),
        price_range=(400, 5000),
        durations=(60, 90, 120, 180, 240),
    ),
    "dj": Offer(
        titles=(
            "Wedding DJ for {event}",
            "{style} DJ set",
            "DJ with sound and lights for {event}",
            "Party DJ, {style} and classics",
            "Club night DJ: {style}",
            "Silent disco with DJ",
        ),
        styles=("House", "Disco", "Hip-hop", "80s and 90s", "Techno", "R&B", "Afrobeats", "Latin", "Open-format"),
        openers=(
            "An experienced DJ who reads the room and keeps the floor full at {event}.",
            "{style} and crowd favourites, mixed live and tailored to your guests.",
            "From background music at dinner to a packed dance floor after midnight.",
        ),
        details=(
            "Includes a planning call, your must-play and do-not-play lists and a wireless microphone.",
            "Professional PA, DJ booth and dance-floor lighting included.",
            "Extra hours can be booked on the night.",
            "Announcements for speeches, cake cutting and the first dance.",
            "Backup equipment on site, always.",
        ),
        price_range=(300, 2500),
        durations=(180, 240, 300, 360, 480),
    ),
    "photography": Offer(
        titles=(
            "Full-day wedding photography",
            "{style} photography for {event}",
            "Event photographer for {event}",
            "Portrait session, {style}",
            "Corporate headshots on location",
            "Half-day wedding coverage",
        ),
        styles=("Documentary", "Candid", "Editorial", "Fine-art", "Black and white", "Natural-light"),
        openers=(
            "Relaxed, {style} photos of your day, with a few portraits that need no posing.",
            "A photographer who blends in and catches the moments you will want to remember.",
            "Professional photography for {event}, delivered as an online gallery.",
        ),
        details=(
            "An online gallery of edited, high-resolution photos within two weeks.",
            "Print rights included; albums available.",
            "Second photographer available for larger weddings.",
            "Same-day sneak peek of ten favourite photos.",
            "Full-frame cameras, backup cards and lighting for indoor venues.",
        ),
        price_range=(300, 4000),
        durations=(60, 120, 240, 360, 480),
    ),
    "videography": Offer(
        titles=(
            "Wedding film with highlights reel",
            "Event video and live stream",
            "{style} highlight film for {event}",
            "Conference filming and editing",
            "Drone and two-camera wedding film",
        ),
        styles=("Cinematic", "Documentary", "Vintage", "Music-video", "Short-form"),
        openers=(
            "A {style} film of your event, shot with two cameras and clean audio.",
            "Video for {event}: highlights for social media and the full story for you.",
        ),
        details=(
            "A three-minute highlights film and the full ceremony and speeches.",
            "Delivered in 4K with licensed music within four weeks.",
            "Drone footage where the venue allows it.",
            "Live streaming for guests who cannot travel.",
        ),
        price_range=(600, 5000),
        durations=(120, 240, 360, 480),
    ),
    "mc-host": Offer(
        titles=(
            "Wedding MC and master of ceremonies",
            "Host for {event}",
            "Bilingual event host",
            "Conference moderator and presenter",
            "Auctioneer and gala host",
        ),
        styles=("Bilingual", "Witty", "Corporate", "Relaxed"),
        openers=(
            "A {style} host who keeps {event} on schedule and the audience engaged.",
            "Introductions, speeches, games and announcements, run smoothly from start to finish.",
        ),
        details=(
            "A planning meeting and a minute-by-minute run sheet.",
            "Works closely with the band or DJ, the venue and the caterer.",
            "Microphone and small PA available.",
            "Hosting in English, German, French or Spanish.",
        ),
        price_range=(250, 2000),
        durations=(60, 120, 180, 240, 360),
    ),
    "dance": Offer(
        titles=(
            "{style} dance show for {event}",
            "First-dance lessons for couples",
            "{style} workshop for teams",
            "Flash mob choreography",
            "Dance performers for {event}",
        ),
        styles=("Salsa", "Swing", "Hip-hop", "Contemporary", "Bollywood", "Tango", "Cabaret", "Breakdance"),
        openers=(
            "A {style} dance show that gets your guests on their feet.",
            "Professional dancers for {event}, with costumes and music included.",
        ),
        details=(
            "Three 10-minute performances and an audience participation set.",
            "Lessons at your home or our studio, from complete beginners up.",
            "Choreography tailored to your song and your venue.",
        ),
        price_range=(200, 2500),
        durations=(60, 90, 120, 180),
    ),
    "magic": Offer(
        titles=(
            "Close-up magician for {event}",
            "Stand-up comedy set",
            "{style} magic show",
            "Mind reader and mentalist",
            "Walkabout magic for drinks receptions",
        ),
        styles=("Close-up", "Stage", "Comedy", "Mentalism", "Card"),
        openers=(
            "{style} magic that happens in your guests' hands, not on a distant stage.",
            "Clean, clever comedy and magic for {event}.",
        ),
        details=(
            "Walkabout during the drinks reception, then a 30-minute show.",
            "Suitable for audiences from 10 to 500 people.",
            "Personalised tricks with your names, logo or date.",
        ),
        price_range=(150, 1500),
        durations=(60, 90, 120, 180),
    ),
    "catering": Offer(
        titles=(
            "{style} catering for {event}",
            "Street food truck",
            "Cocktail bar with two bartenders",
            "Barbecue buffet for up to 150 guests",
            "Canapes and finger food",
            "Three-course seated dinner",
        ),
        styles=("Mediterranean", "Vegan", "Italian", "Street-food", "Seasonal", "Middle Eastern", "Asian fusion"),
        openers=(
            "{style} food made from local, seasonal produce, served at {event}.",
            "Catering that takes the stress out of feeding your guests.",
        ),
        details=(
            "Menus for vegan, vegetarian, gluten-free and halal guests.",
            "Service staff, crockery and cutlery included.",
            "A tasting session for weddings.",
            "Price shown covers 50 guests; larger groups on request.",
        ),
        price_range=(500, 5000),
        durations=(120, 180, 240, 300, 360, 480),
    ),
    "kids-entertainment": Offer(
        titles=(
            "Children's party entertainer",
            "Face painting and balloon modelling",
            "Kids' {style} show",
            "Puppet theatre for birthday parties",
            "Bubble show for {event}",
        ),
        styles=("Magic", "Science", "Pirate", "Princess", "Circus", "Disco"),
        openers=(
            "A {style} party the children will talk about for weeks.",
            "Games, music, prizes and laughter for children aged 3 to 10.",
        ),
        details=(
            "Ninety minutes of games, a show and a balloon animal for every child.",
            "All materials are skin-safe and allergy-tested.",
            "Fully insured and background-checked.",
        ),
        price_range=(150, 900),
        durations=(60, 90, 120, 180),
    ),
    "sound-lighting": Offer(
        titles=(
            "PA hire with technician",
            "Stage lighting for {event}",
            "Sound and lighting package",
            "Uplighting and dance-floor lights",
            "Live sound engineer for bands",
        ),
        styles=("Compact", "Festival", "Conference", "Wedding"),
        openers=(
            "{style} sound and lighting, delivered, set up and run by an experienced technician.",
            "Clear speeches and a powerful dance floor at {event}.",
        ),
        details=(
            "Speakers, mixing desk, microphones and cabling included.",
            "LED uplighters in any colour to match your theme.",
            "Set-up before guests arrive and collection the same night.",
            "Fully PAT-tested equipment and public liability insurance.",
        ),
        price_range=(200, 3000),
        durations=(120, 240, 360, 480),
    ),
}
PROPER_STYLES = frozenset({"Motown", "Latin", "Bollywood", "Mediterranean", "Italian", "Middle", "Asian"})
BLOCK_NOTES = ("Holiday", "Private event", "Festival weekend", "Studio day", "")
