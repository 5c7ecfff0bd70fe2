"""Chinese text: page bytes to text, character classes, script conversion, numerals, pinyin, mojibake repair
and the normaliser (docs/text.md).

Apart from the decoder (bytes -> str), everything here is a pure function over strings; the HTML stage and
the metric scanner build on it.
"""
