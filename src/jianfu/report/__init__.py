"""The project report (Step 7): tables in four formats, report.docx / report.html, FIGURES.md."""
