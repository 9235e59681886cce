"""What a planner sees: tables on the screen, charts, the summary page, the workbook and
the deck, and the one number formatter they all use (`numbers`). Everything here reads
results and payloads; nothing here simulates or optimizes."""
