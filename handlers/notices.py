"""Messages queued by storage operations as a notice key, written out in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from handlers.account import my_data_ready
from handlers.dates import format_date
from handlers.dialogues.notices import DIALOGUE_NOTICES
from handlers.dialogues.office import hamlet_lists_ready
from handlers.documents.jobs import DOCUMENT_NOTICES
from handlers.i18n import Translator, channel_name, translator
from handlers.petitions.report import REPORT_NOTICES
from handlers.petitions.texts import status_name
from handlers.posters import posters_ready
from handlers.setup import SETUP_NOTICES
from handlers.values import Choice, Reply
from handlers.voter_contact.dossiers import DOSSIER_NOTICES
from handlers.voter_contact.notices import MEETING_NOTICES
from handlers.voter_contact.plan_upload import plan_failed, plan_imported, plan_refused
from handlers.voter_contact.report_back import REPORT_BACK_NOTICES


def _link_code(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(
        text=t._(
            "Someone is joining a {channel} account to yours. If it is you, type this code "
            "there: {code}\nIt is valid for a few minutes. If it is not you, ignore this "
            "message: nothing will be joined.",
            channel=channel_name(t, str(params.get("channel", ""))),
            code=str(params.get("code", "")),
        ),
        title=t._("Code to join your accounts"),
    )


def _broadcast(t: Translator, params: dict[str, Any]) -> Reply:
    commune = str(params.get("commune", ""))
    if params.get("urgent"):
        title = t._("🚨 URGENT notice from {commune}", commune=commune)
    else:
        title = t._("📢 Notice from {commune}", commune=commune)
    photo = params.get("photo")
    return Reply(text=str(params.get("text", "")), title=title,
                 file=(str(photo[0]), str(photo[1])) if photo else None)


def _broadcast_report(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(
        title=t._("Announcement #{id} finished", id=params.get("id", "")),
        text=t._(
            "Delivered: {delivered} of {total}\nFailed: {failed}\nBlocked the bot: "
            "{unreachable}\nStopped before sending: {cancelled}",
            **{key: params.get(key, 0)
               for key in ("delivered", "total", "failed", "unreachable", "cancelled")},
        ),
    )


def _petition_status(t: Translator, params: dict[str, Any]) -> Reply:
    code = str(params.get("code", ""))
    status = str(params.get("status", ""))
    reason = str(params.get("reason", ""))
    choices: tuple[Choice, ...] = ()
    if status == "answered":
        text = t._("Your petition {code} has been answered:\n\n{answer}\n\nDoes this answer "
                   "settle the matter?", code=code, answer=params.get("answer", ""))
        petition_id = params.get("id")
        choices = (Choice(f"pt:ok:{petition_id}", t._("👍 Yes, it is settled")),
                   Choice(f"pt:reopen:{petition_id}", t._("👎 No, reopen it")))
    elif status == "forwarded":
        text = t._("Your petition {code} has been sent to {agency}, which is to answer it.",
                   code=code, agency=params.get("agency", ""))
    elif status == "merged":
        text = t._("Your petition {code} has been joined with petition {into} about the same "
                   "matter. You will receive its answer.", code=code, into=params.get("into", ""))
    elif status in ("rejected", "reopened") or (status == "classified" and reason):
        text = t._("Your petition {code} is now: {status}. Reason: {reason}", code=code,
                   status=status_name(t, status), reason=reason)
    else:
        text = t._("Your petition {code} is now: {status}.", code=code,
                   status=status_name(t, status))
    attached = params.get("file")
    return Reply(text=text, title=t._("Petition {code}", code=code), choices=choices,
                 file=(str(attached[0]), str(attached[1])) if attached else None)


def _petition_new(t: Translator, params: dict[str, Any]) -> Reply:
    petition_id = params.get("id")
    text = t._("New petition {code} has arrived.", code=params.get("code", ""))
    choices = [Choice(f"ip:{petition_id}", t._("Open it"))]
    similar = [str(code) for code in params.get("similar") or ()]
    if similar:
        text += "\n" + t._("⚠️ It may be the same as {codes}.", codes=", ".join(similar))
        choices.append(Choice(f"io:merge:{petition_id}", t._("🔗 Merge with a similar petition")))
    return Reply(text=text, choices=tuple(choices))


def _petition_for_agency(t: Translator, params: dict[str, Any]) -> Reply:
    petition_id = params.get("id")
    due = params.get("due_on")
    text = t._("Petition {code} has been sent to your agency.", code=params.get("code", ""))
    if due:
        text += " " + t._("Answer due: {date}", date=format_date(date.fromisoformat(str(due))))
    return Reply(text=text, choices=(Choice(f"ap:{petition_id}", t._("Open it")),))


def _petition_back_to_office(t: Translator, params: dict[str, Any]) -> Reply:
    petition_id = params.get("id")
    return Reply(
        text=t._("Petition {code} is back with the office ({status}): {reason}",
                 code=params.get("code", ""), status=status_name(t, str(params.get("status"))),
                 reason=params.get("reason", "")),
        choices=(Choice(f"ip:{petition_id}", t._("Open it")),),
    )


def _petition_not_settled(t: Translator, params: dict[str, Any]) -> Reply:
    """One petitioner of a merged group is not satisfied; the office decides for the group."""
    petition_id = params.get("id")
    return Reply(
        text=t._("A petitioner of {code} says the answer does not settle it for them: {reason}",
                 code=params.get("code", ""), reason=params.get("reason", "")),
        choices=(Choice(f"ip:{petition_id}", t._("Open it")),),
    )


def _petition_deadline(t: Translator, params: dict[str, Any]) -> Reply:
    due = format_date(date.fromisoformat(str(params.get("due_on"))))
    code = params.get("code", "")
    if params.get("_overdue"):
        text = t._("⏰ Petition {code} was due on {date} and is still not answered.", code=code,
                   date=due)
    else:
        text = t._("Petition {code} is due on {date}.", code=code, date=due)
    return Reply(text=text, choices=(Choice(f"ap:{params.get('id')}", t._("Open it")),))


def _petitions_overdue_digest(t: Translator, params: dict[str, Any]) -> Reply:
    codes = ", ".join(str(code) for code in params.get("codes", []))
    return Reply(
        title=t._("Overdue petitions"),
        text=t._("{count} petitions are past their answer date at the agencies: {codes}",
                 count=params.get("count", 0), codes=codes),
        choices=(Choice("menu:inbox", t._("📥 Petition inbox")),),
    )


NOTICES: dict[str, Callable[[Translator, dict[str, Any]], Reply]] = {
    "link_code": _link_code,
    "broadcast": _broadcast,
    "broadcast_report": _broadcast_report,
    "petition_status": _petition_status,
    "petition_new": _petition_new,
    "petition_for_agency": _petition_for_agency,
    "petition_back_to_office": _petition_back_to_office,
    "petition_not_settled": _petition_not_settled,
    "petition_due_soon": _petition_deadline,
    "petition_overdue": lambda t, params: _petition_deadline(t, {**params, "_overdue": True}),
    "petitions_overdue_digest": _petitions_overdue_digest,
    **MEETING_NOTICES,
    **DIALOGUE_NOTICES,
    **SETUP_NOTICES,
    "plan_imported": plan_imported,
    "plan_refused": plan_refused,
    "plan_import_failed": plan_failed,
    **DOCUMENT_NOTICES,
    "posters_ready": posters_ready,
    "my_data_ready": my_data_ready,
    "dialogue_lists_ready": hamlet_lists_ready,
    **REPORT_NOTICES,
    **DOSSIER_NOTICES,
    **REPORT_BACK_NOTICES,
}


def render_payload(payload: dict[str, Any], locale: str | None) -> Reply:
    """The reply an outbox payload stands for: a finished reply, or a notice to write out."""
    notice = payload.get("notice")
    if notice is None:
        return Reply.from_payload(payload)
    render = NOTICES.get(str(notice))
    if render is None:
        raise ValueError(f"unknown notice {notice!r}")
    return render(translator(locale), dict(payload.get("params", {})))
