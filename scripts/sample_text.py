"""Text material for the sample generator: real public-domain prose and hand-written page kinds.

The prose is William Morris, *News from Nowhere* (Project Gutenberg ebook 3261, public
domain in the US), read from the HTML edition. Everything else here (spam, boilerplate,
code tutorials, non-English paragraphs) was written for this project and is released with
it under Apache-2.0.
"""
from __future__ import annotations

import html
import re

STRAIGHT_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})

NON_ENGLISH = {
    "de": [
        "Die Stadt liegt am Ufer eines breiten Flusses, und im Sommer sitzen die Menschen bis spät am Abend draußen.",
        "Unser Verein trifft sich jeden Dienstag im Gemeindehaus, um über neue Projekte für die Nachbarschaft zu sprechen.",
        "Der Zug nach München hatte wieder einmal eine Verspätung von mehr als zwanzig Minuten.",
        "Im Garten wachsen Tomaten, Bohnen und Kartoffeln, die wir im Herbst gemeinsam ernten.",
        "Die Ausstellung im Museum zeigt Gemälde aus dem neunzehnten Jahrhundert und zieht viele Besucher an.",
        "Nach dem langen Winter freuen sich alle auf die ersten warmen Tage im Frühling.",
        "Die Bibliothek bietet jeden Samstag eine Lesestunde für Kinder zwischen vier und acht Jahren an.",
        "Wer mit dem Fahrrad zur Arbeit fährt, spart Geld und bleibt gleichzeitig gesund.",
    ],
    "fr": [
        "Le marché du samedi matin attire les habitants de tout le quartier, qui viennent acheter des légumes frais.",
        "La bibliothèque municipale a prolongé ses horaires d'ouverture pendant les vacances scolaires.",
        "Nous avons passé une semaine en Bretagne, où il a plu presque tous les jours sans que cela gâche notre séjour.",
        "Le nouveau musée présente une collection remarquable de sculptures anciennes et de peintures modernes.",
        "Les enfants de l'école ont planté des arbres dans le parc derrière la mairie.",
        "Il faut compter environ deux heures de train pour rejoindre Lyon depuis la capitale.",
        "La recette traditionnelle demande du beurre, de la farine, des œufs et beaucoup de patience.",
        "Les habitants du village se réunissent chaque année pour célébrer la fin des moissons.",
    ],
    "es": [
        "La plaza mayor se llena de gente cada domingo, cuando las familias salen a pasear después de comer.",
        "El autobús que va al centro pasa cada quince minutos durante el día y cada media hora por la noche.",
        "Mi abuela preparaba una tortilla de patatas que todavía recordamos con mucho cariño.",
        "La biblioteca del barrio organiza talleres de lectura para niños y adultos durante todo el año.",
        "En verano hace tanto calor que muchas tiendas cierran a mediodía y vuelven a abrir por la tarde.",
        "El equipo local ganó el campeonato después de una temporada muy difícil.",
        "Los estudiantes presentaron sus proyectos de ciencias ante un jurado de profesores.",
        "El río atraviesa la ciudad de norte a sur y sus orillas están llenas de árboles.",
    ],
    "it": [
        "Il mercato del centro apre ogni mattina alle sette e chiude poco dopo mezzogiorno.",
        "Abbiamo visitato un piccolo borgo in collina dove si produce un olio eccellente.",
        "La biblioteca comunale ha organizzato una serie di incontri con scrittori locali.",
        "Durante l'estate il lungomare si riempie di turisti provenienti da tutta Europa.",
        "La ricetta della nonna richiede pomodori maturi, basilico fresco e un filo d'olio.",
        "Il treno regionale collega la città alla costa in meno di un'ora.",
    ],
}

SPAM_PHRASES = [
    "buy cheap", "best price", "free shipping", "click here", "limited offer", "casino bonus",
    "online pharmacy", "replica watches", "payday loans", "work from home", "lose weight fast",
    "discount code", "hot deals", "100% free", "act now", "win big", "crypto profits",
]

BOILERPLATE_LINES = [
    "Home", "About Us", "Contact", "Blog", "Shop", "Login", "Register", "Search",
    "Share on Facebook", "Tweet this", "Subscribe to our newsletter",
    "Copyright 2024 All rights reserved", "Privacy Policy", "Terms of Use", "Sitemap",
    "This website uses cookies to improve your experience.", "Accept all cookies",
    "Please enable JavaScript to view the comments.", "Read more", "Previous post", "Next post",
]

CODE_SNIPPETS = [
    ("JavaScript", "function debounce(fn, wait) {\n  let timer;\n  return (...args) => {\n"
     "    clearTimeout(timer);\n    timer = setTimeout(() => fn(...args), wait);\n  };\n}"),
    ("CSS", ".card {\n  display: flex;\n  padding: 1rem;\n  border-radius: 8px;\n}\n"
     ".card:hover { box-shadow: 0 2px 8px rgba(0,0,0,.2); }"),
    ("Python", "def chunks(items, size):\n    for start in range(0, len(items), size):\n"
     "        yield items[start:start + size]\n\nconfig = {'retries': 3, 'timeout': 10}"),
    ("Java", "public class Counter {\n    private int count = 0;\n    public synchronized void inc() {\n"
     "        count++;\n    }\n}"),
    ("Go", "func sum(xs []int) int {\n\ttotal := 0\n\tfor _, x := range xs {\n\t\ttotal += x\n\t}\n"
     "\treturn total\n}"),
]

CODE_PROSE = [
    "In this tutorial we look at a small pattern that comes up again and again in real projects.",
    "The function below is short, but it hides a few details that are worth explaining.",
    "Notice how the state is kept inside the closure rather than in a global variable.",
    "You can paste the snippet into your editor and run it as it is.",
    "If you have questions, leave a comment below and we will try to answer them.",
]


def gutenberg_chapters(path: str) -> list[list[str]]:
    """The book's chapters as lists of paragraphs (front matter and license removed)."""
    raw = open(path, encoding="utf-8", errors="replace").read()
    start = raw.find("CHAPTER I")
    end = raw.find("End of the Project Gutenberg")
    body = raw[start:end if end > 0 else None]
    chapters = []
    for part in re.split(r"<h2[^>]*>", body):
        paragraphs = []
        for match in re.finditer(r"<p[^>]*>(.*?)</p>", part, flags=re.S | re.I):
            text = html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))
            text = re.sub(r"\s+", " ", text).strip()
            # Most web text uses straight quotes; C4's end-mark rule only knows '"'.
            text = text.translate(STRAIGHT_QUOTES)
            if len(text.split()) >= 8:
                paragraphs.append(text)
        if len(paragraphs) >= 3:
            chapters.append(paragraphs)
    return chapters
