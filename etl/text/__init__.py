"""Chinese text: character classes, script conversion, numerals, pinyin, mojibake repair and the normaliser.

Everything here is a pure function over strings; the HTML stage and the metric scanner build on it.
"""
