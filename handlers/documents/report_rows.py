"""The input of the petition report generators: one row per petition and the report's heading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ReportRow:
    code: str  # "KN-2026-00042"
    received_on: date
    hamlet: str  # "Ấp Tân Dân"; "" if unknown
    voter: str  # the voter's name; "" when hidden or anonymous
    content: str  # the petition as written: may hold <, &, emoji, newlines (up to 4000 chars)
    competence: str  # "commune" | "province" | "central" | "utility" | "" (unclassified)
    field: str  # "Giao thông, xây dựng, thủy lợi"; "" if unclassified
    agency: str  # the agency that handles it, or ""
    status: str  # already-translated Vietnamese label, e.g. "Đã trả lời"
    due_on: date | None
    answered_on: date | None
    answer: str  # "" if none
    overdue: bool


@dataclass(frozen=True)
class ReportHeading:
    province: str  # "Tỉnh Đồng Tháp"
    commune: str  # "Xã Tân Thuận Tây"
    # "từ ngày 01/10/2026 đến ngày 22/11/2026" or "đợt tiếp xúc cử tri trước kỳ họp thứ 5"
    period_label: str
    issued_on: date
    number: str = "…"  # the document number before "/BC-HĐND"
    signer_title: str = "TM. THƯỜNG TRỰC HĐND"  # "\n" separates lines, e.g. "...\nCHỦ TỊCH"
    signer_name: str = ""
