"""Renderers over domain queries: spreadsheets, PDFs and charts. They only read."""
