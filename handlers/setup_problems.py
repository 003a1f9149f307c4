"""Wording the commune workbook's problems for the office, by sheet, row and column.

`storage.setup.workbook_file.read_workbook` names each problem by a key with parameters; this
is where the keys become sentences in the reader's language. The command-line import (in
Vietnamese) and the bot's upload both use `describe_setup_problem`.
"""

from __future__ import annotations

from collections import defaultdict

from handlers.i18n import N_, Translator
from storage.setup.workbook import SetupProblem

PROBLEMS = {
    # The file as a whole.
    "too_big": N_("The file is too large ({size} MB); it may be at most {max} MB."),
    "too_big_unpacked": N_("The file holds too much once opened ({size} MB); it may hold at "
                           "most {max} MB."),
    "old_excel": N_("{filename} is in the old Excel format (.xls). Open it in Excel and save "
                    "it as an Excel workbook (.xlsx)."),
    "not_xlsx": N_("{filename} is not an Excel workbook (.xlsx). Please send the commune "
                   "workbook as an .xlsx file."),
    "no_sheets": N_("This file has none of the commune workbook's sheets ({expected}). Please "
                    "start from the template."),
    # A whole sheet, or its header row.
    "missing_sheet": N_("This sheet is missing from the file."),
    "duplicate_sheet": N_("The file has this sheet twice; keep only one."),
    "empty_sheet": N_("This sheet has no rows; write at least one."),
    "no_header": N_("No row with this sheet's column names was found (needed: {expected})."),
    "too_many_rows": N_("This sheet has too many rows: at most {max}."),
    "missing_column": N_("The column “{column}” is missing."),
    "duplicate_column": N_("The column “{column}” appears twice."),
    # One cell.
    "missing": N_("This cell must be filled in."),
    "cell_error": N_("The cell holds a spreadsheet error ({value})."),
    "too_long": N_("Too long: {length} characters, at most {max}."),
    "bad_code": N_("“{value}” cannot be a code: use only lowercase letters without accents, "
                   "digits and dashes, e.g. minh-tien."),
    "bad_number": N_("“{value}” must be a whole number from {min} to {max}."),
    "bad_phone": N_("“{value}” is not a phone number: write 10 digits (mobile) or 11 "
                    "(landline), e.g. 0912 345 678."),
    "bad_choice": N_("“{value}” is not one of the choices here: {expected}."),
    # Rows against each other and against the other sheets.
    "duplicate_code": N_("The code “{value}” is already used on row {other_row}."),
    "duplicate_name": N_("“{value}” is already on row {other_row}."),
    "conflicting_province": N_("Row {other_row} names this province “{other_value}”, not "
                               "“{value}”."),
    "unknown_commune": N_("The commune code “{value}” is not on the sheet «Xã»."),
    "no_hamlets": N_("This commune has no hamlets on the sheet «Thôn, ấp»."),
    "hamlet_code_taken": N_("The hamlet code “{value}” is already used by commune {commune} "
                            "(row {other_row}). Hamlet codes must differ across the whole "
                            "province: start them with the commune code."),
    "duplicate_unit": N_("Electoral unit {value} of this commune is already on row "
                         "{other_row}."),
    "unknown_hamlet": N_("No hamlet “{value}” of this commune is on the sheet «Thôn, ấp»."),
    "ambiguous_hamlet": N_("“{value}” fits several hamlets; write the hamlet's code."),
    "hamlet_in_two_units": N_("The hamlet “{value}” is already in electoral unit {unit} (row "
                              "{other_row}); a hamlet belongs to one unit only."),
    "unknown_unit": N_("This commune has no electoral unit {value} on the sheet «Đơn vị bầu "
                       "cử»."),
    "unknown_field": N_("No field “{value}” of this commune is on the sheet «Lĩnh vực»."),
}


def describe_setup_problem(t: Translator, problem: SetupProblem) -> str:
    """`Sheet «Thôn, ấp», row 4, column «Mã thôn»: …` in the reader's language."""
    params: dict[str, str] = defaultdict(str, problem.params)
    text = t._(PROBLEMS.get(problem.key, problem.key)).format_map(params)
    if problem.key == "unknown_unit" and params["known"]:
        text += " " + t._("Its units: {known}.", known=params["known"])
    if not problem.sheet:
        return text
    if problem.row and problem.column:
        return t._("Sheet «{sheet}», row {row}, column «{column}»: {problem}",
                   sheet=problem.sheet, row=problem.row, column=problem.column, problem=text)
    if problem.row:
        return t._("Sheet «{sheet}», row {row}: {problem}", sheet=problem.sheet,
                   row=problem.row, problem=text)
    return t._("Sheet «{sheet}»: {problem}", sheet=problem.sheet, problem=text)
