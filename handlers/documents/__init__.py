"""Printable documents: petition reports (DOCX, XLSX) and complaint/denunciation letters."""
