"""Charts as PNG bytes: pure functions of the chart data (kinds/charts.py), no I/O, no globals.

Drawn with matplotlib's object-oriented API only (a Figure on its own Agg canvas, never
pyplot's global state), so charts can be drawn in worker threads side by side. Labels go
through `_()` in the caller's language (asyncio.to_thread carries the context over); DejaVu Sans,
matplotlib's default font, covers Latin and Cyrillic.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.dates import format_date
from core.i18n import N_, _, ngettext
from core.text import clip, esc, number
from kinds.charts import MONTHS, ExchangeChart, RoundsChart, SideSeries

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 100
WIDTH_IN, HEIGHT_IN = 12.0, 6.75  # 1200 x 675 px: a phone shows it whole
FONT = "DejaVu Sans"
COLOURS = ("#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad", "#d68910")
MONTH_NAMES = (
    N_("Jan"),
    N_("Feb"),
    N_("Mar"),
    N_("Apr"),
    N_("May"),
    N_("Jun"),
    N_("Jul"),
    N_("Aug"),
    N_("Sep"),
    N_("Oct"),
    N_("Nov"),
    N_("Dec"),
)


def _figure(width: float, height: float) -> Figure:
    """A figure on its own Agg canvas (imported here: the bot starts without matplotlib)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def draw_exchanges(data: ExchangeChart) -> bytes:
    """Living people returned to each side per month (bodies stacked apart, hatched); agreed
    exchanges not yet carried out marked on their month."""
    figure = _figure(WIDTH_IN, HEIGHT_IN)
    ax: Any = figure.add_subplot()
    sides = data.sides or ()
    width = 0.8 / max(1, len(sides))
    top = 1
    for i, side in enumerate(sides):
        colour = COLOURS[i % len(COLOURS)]
        xs = [m + (i - (len(sides) - 1) / 2) * width for m in range(MONTHS)]
        bars = ax.bar(
            xs,
            side.living,
            width,
            color=colour,
            label=_("Living, returned to {party}").format(party=clip(side.party, 30)),
        )
        ax.bar_label(bars, labels=[f"{n:,}" if n else "" for n in side.living], fontsize=8)
        if data.bodies_recorded:
            ax.bar(
                xs,
                side.bodies,
                width,
                bottom=side.living,
                color="white",
                edgecolor=colour,
                hatch="//",
                label=_("Bodies, returned to {party}").format(party=clip(side.party, 30)),
            )
        top = max([top, *(a + b for a, b in zip(side.living, side.bodies, strict=True))])
    # Agreed exchanges not yet carried out: one mark per month, above that month's bars.
    by_month: dict[int, list[int | None]] = {}
    for mark in data.agreed:
        by_month.setdefault(mark.date.month - 1, []).append(mark.people)
    for x, marks in sorted(by_month.items()):
        bar = max([0, *(s.living[x] + s.bodies[x] for s in sides)])
        known = [n for n in marks if n is not None]
        label = _("agreed") if len(marks) == 1 else f"{_('agreed')} ×{len(marks)}"
        if known:
            label += f"\n{sum(known):,}"
        ax.annotate(
            label,
            xy=(x, bar),
            xytext=(x, bar + top * 0.16),
            ha="center",
            fontsize=9,
            color="#555555",
            arrowprops={"arrowstyle": "->", "color": "#555555", "linestyle": "--"},
        )
    if data.agreed:
        ax.plot([], [], ls="--", color="#555555", label=_("Agreed, not yet carried out"))
    ax.set_xticks(range(MONTHS), [_(m) for m in MONTH_NAMES])
    ax.set_xlim(-0.6, MONTHS - 0.4)
    ax.set_ylim(0, top * 1.3)
    ax.set_ylabel(_("People returned"))
    ax.set_title(
        _("Prisoner exchanges in {year}: people returned to each side per month").format(
            year=data.year
        ),
        fontfamily=FONT,
    )
    if not data.bodies_recorded:
        ax.text(
            0.99,
            0.97,
            _("Bodies are not on file for these exchanges."),
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=9,
            color="#555555",
        )
    if sides or data.agreed:
        ax.legend(loc="upper left", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def draw_rounds(data: RoundsChart) -> bytes:
    """The rounds of talks on a timeline, oldest at the top, each labelled with title and place."""
    rounds = data.rounds
    height = max(3.5, 0.45 * len(rounds) + 1.5)
    figure = _figure(WIDTH_IN, height)
    ax: Any = figure.add_subplot()
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    for y, r in enumerate(rounds):
        start = r.date.toordinal()
        span = r.end_date.toordinal() - start + 1 if r.end_date else 1
        ax.barh(y, span, left=start - 0.5, height=0.5, color=COLOURS[0])
        ax.plot([start], [y], marker="o", color=COLOURS[0], markersize=7)
        label = clip(r.title or _("Round of talks"), 50) + " — " + clip(r.place, 30)
        ax.annotate(
            f"{label} ({format_date(r.date)})",
            xy=(start + span, y),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    if rounds:
        first = rounds[0].date.toordinal()
        last = (rounds[-1].end_date or rounds[-1].date).toordinal()
        pad = max(10.0, (last - first) * 0.05)
        # Room on the right for the labels of the latest rounds.
        ax.set_xlim(first - pad, last + pad + max(60.0, (last - first) * 0.9))
    ax.set_ylim(len(rounds) - 0.5, -0.5)
    ax.set_yticks([])
    # x is the day number (date.toordinal); ticks read as dates, e.g. "2 Jun 2025".
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _pos: format_date(dt.date.fromordinal(max(1, int(x))))[4:])
    )
    ax.set_title(_("Rounds of talks on a timeline"), fontfamily=FONT)
    ax.grid(axis="x", color="#dddddd")
    ax.spines[["top", "right", "left"]].set_visible(False)
    return _png(figure)


def _people(n: int) -> str:
    return ngettext("{n} person", "{n} people", n).format(n=number(n))


def _living(side: SideSeries) -> str:
    """People returned to a side; a floor when some exchange announced no number for it."""
    return _floor(
        side.living_total,
        side.living_announced,
        exact=_people,
        none=N_("an unannounced number of people"),
        at_least=("at least {n} person", "at least {n} people"),
    )


def _bodies(side: SideSeries) -> str:
    """Bodies returned to a side, the same way."""
    return _floor(
        side.bodies_total,
        side.bodies_announced,
        exact=number,
        none=N_("an unannounced number"),
        at_least=("at least {n} body", "at least {n} bodies"),
    )


def _floor(
    n: int, announced: bool, *, exact: Callable[[int], str], none: str, at_least: tuple[str, str]
) -> str:
    if announced:
        return exact(n)
    if not n:
        return _(none)
    return ngettext(*at_least, n).format(n=number(n))


def exchanges_caption(data: ExchangeChart) -> str:
    """The chart's totals in words (HTML), so the picture is never the only place they are."""
    head = "📊 <b>" + esc(_("Prisoner exchanges in {year}").format(year=data.year)) + "</b>"
    lines = [head]
    if data.completed:
        sides = [
            _("{people} to {party}").format(people=_living(s), party=esc(clip(s.party, 40)))
            for s in data.sides
        ]
        lines.append(
            ngettext(
                "{n} completed exchange returned {sides}.",
                "{n} completed exchanges returned {sides}.",
                data.completed,
            ).format(n=data.completed, sides="; ".join(sides) or _("numbers not announced"))
        )
    else:
        lines.append(_("No completed exchanges on file for this year."))
    if not data.completed:
        pass  # no exchanges to say bodies of
    elif data.bodies_recorded and not any(
        s.bodies_total or not s.bodies_announced for s in data.sides
    ):
        lines.append(_("No bodies returned in these exchanges."))
    elif data.bodies_recorded:
        bodies = "; ".join(
            _("{n} to {party}").format(n=_bodies(s), party=esc(clip(s.party, 40)))
            for s in data.sides
        )
        lines.append(_("Bodies returned: {bodies}.").format(bodies=bodies))
    else:
        lines.append(_("Bodies: not on file."))
    if data.agreed:
        shown = [
            f"{format_date(m.date)} ("
            + (_("numbers not announced") if m.people is None else _people(m.people))
            + ")"
            for m in data.agreed[:5]
        ]
        more = len(data.agreed) - len(shown)
        tail = ngettext(" and {n} more", " and {n} more", more).format(n=more) if more else ""
        lines.append(
            ngettext(
                "⏳ {n} agreed, not yet carried out: {list}{tail}.",
                "⏳ {n} agreed, not yet carried out: {list}{tail}.",
                len(data.agreed),
            ).format(n=len(data.agreed), list="; ".join(shown), tail=tail)
        )
    return "\n".join(lines)


def rounds_caption(data: RoundsChart) -> str:
    """How many rounds the timeline shows, from when to when, and the latest one (HTML)."""
    rounds = data.rounds
    if not rounds:
        return esc(_("No rounds of talks on file yet."))
    first, last = rounds[0], rounds[-1]
    if len(rounds) == 1:
        count = _("One round of talks, on {date}.").format(date=format_date(first.date))
    else:
        # Only the count takes a plural form: "21 раунд" must still read "from … to …".
        count = ngettext(
            "{n} round of talks, from {first} to {last}.",
            "{n} rounds of talks, from {first} to {last}.",
            len(rounds),
        ).format(n=len(rounds), first=format_date(first.date), last=format_date(last.date))
    latest = _("Latest: {title} — {place}, {date}.").format(
        title=esc(clip(last.title or _("Round of talks"), 80)),
        place=esc(clip(last.place, 60)),
        date=format_date(last.date),
    )
    return f"📊 <b>{esc(_('Rounds of talks'))}</b>\n{count}\n{latest}"
