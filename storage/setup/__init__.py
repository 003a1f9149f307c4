"""Setting communes up from their own data: the commune workbook, read, checked and applied."""
