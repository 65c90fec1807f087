//! A small flowing-document writer over printpdf's built-in fonts (no font files):
//! headings, paragraphs, label/value fields and tables, with page breaks.
//!
//! Built-in PDF fonts cover Latin-1 only; other characters print as `?`, which is
//! why every document also exists as JSON or CSV.

use printpdf::{
    BuiltinFont, Color, Line, LinePoint, Mm, Op, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rgb, TextItem,
};

const PAGE_WIDTH: f32 = 210.0;
const PAGE_HEIGHT: f32 = 297.0;
const MARGIN: f32 = 18.0;
const PT_TO_MM: f32 = 0.3528;

/// Horizontal alignment of a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    /// Set in Courier, whose fixed width makes right alignment exact (amounts).
    Right,
}

/// A table column: heading, width in millimetres, alignment.
pub struct Column<'a> {
    pub heading: &'a str,
    pub width: f32,
    pub align: Align,
}

pub struct PdfWriter {
    title: String,
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// Baseline of the next line, in millimetres from the page's bottom edge.
    y: f32,
}

impl PdfWriter {
    pub fn new(title: &str) -> Self {
        PdfWriter {
            title: title.to_owned(),
            pages: Vec::new(),
            ops: Vec::new(),
            y: PAGE_HEIGHT - MARGIN,
        }
    }

    /// The document title as a large heading.
    pub fn heading(&mut self, text: &str) {
        self.line_space(9.0);
        self.text(MARGIN, text, BuiltinFont::HelveticaBold, 18.0);
        self.y -= 3.0;
    }

    /// A section heading with a rule under it.
    pub fn section(&mut self, text: &str) {
        self.line_space(11.0);
        self.y -= 4.0;
        self.text(MARGIN, text, BuiltinFont::HelveticaBold, 12.0);
        self.rule(self.y - 1.5);
        self.y -= 2.0;
    }

    /// Running text, wrapped to the page width.
    pub fn paragraph(&mut self, text: &str) {
        for line in wrap(text, 100) {
            self.line_space(5.0);
            self.text(MARGIN, &line, BuiltinFont::Helvetica, 10.0);
        }
    }

    /// One bullet item, wrapped.
    pub fn bullet(&mut self, text: &str) {
        for (i, line) in wrap(text, 95).into_iter().enumerate() {
            self.line_space(5.0);
            if i == 0 {
                self.text(MARGIN, "-", BuiltinFont::Helvetica, 10.0);
            }
            self.text(MARGIN + 4.0, &line, BuiltinFont::Helvetica, 10.0);
        }
    }

    /// `Label   value` on one line (the value wraps under itself).
    pub fn field(&mut self, label: &str, value: &str) {
        for (i, line) in wrap(value, 75).into_iter().enumerate() {
            self.line_space(5.0);
            if i == 0 {
                self.text(MARGIN, label, BuiltinFont::HelveticaBold, 10.0);
            }
            self.text(MARGIN + 48.0, &line, BuiltinFont::Helvetica, 10.0);
        }
    }

    /// A table with a heading row; the heading repeats after a page break.
    pub fn table(&mut self, columns: &[Column<'_>], rows: &[Vec<String>]) {
        self.table_heading(columns);
        for row in rows {
            if self.y - 5.0 < MARGIN {
                self.new_page();
                self.table_heading(columns);
            }
            self.table_row(columns, row, BuiltinFont::Helvetica);
        }
        self.rule(self.y - 1.5);
        self.y -= 2.0;
    }

    fn table_heading(&mut self, columns: &[Column<'_>]) {
        let headings: Vec<String> = columns.iter().map(|c| c.heading.to_owned()).collect();
        self.line_space(8.0);
        self.table_row(columns, &headings, BuiltinFont::HelveticaBold);
        self.rule(self.y - 1.5);
        self.y -= 1.5;
    }

    fn table_row(&mut self, columns: &[Column<'_>], cells: &[String], font: BuiltinFont) {
        self.y -= 5.0;
        let mut x = MARGIN;
        for (column, cell) in columns.iter().zip(cells) {
            // Cells are cut to their column rather than overflowing into the next.
            let room = (column.width / (9.0 * PT_TO_MM * 0.6)) as usize;
            let cell: String = cell.chars().take(room.max(1)).collect();
            match column.align {
                Align::Left => self.text_at(x, self.y, &cell, font, 9.0),
                Align::Right => {
                    let width = cell.chars().count() as f32 * 9.0 * PT_TO_MM * 0.6;
                    let font = if font == BuiltinFont::HelveticaBold {
                        BuiltinFont::CourierBold
                    } else {
                        BuiltinFont::Courier
                    };
                    self.text_at(x + column.width - 2.0 - width, self.y, &cell, font, 9.0);
                }
            }
            x += column.width;
        }
    }

    /// Vertical space; a new page when the next `height` millimetres do not fit.
    fn line_space(&mut self, height: f32) {
        if self.y - height < MARGIN {
            self.new_page();
        }
        self.y -= height;
    }

    fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.ops));
        self.y = PAGE_HEIGHT - MARGIN;
    }

    fn text(&mut self, x: f32, text: &str, font: BuiltinFont, size: f32) {
        self.text_at(x, self.y, text, font, size);
    }

    fn text_at(&mut self, x: f32, y: f32, text: &str, font: BuiltinFont, size: f32) {
        self.ops.extend([
            Op::StartTextSection,
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(y)),
            },
            Op::SetFont {
                font: PdfFontHandle::Builtin(font),
                size: Pt(size),
            },
            Op::SetFillColor {
                col: Color::Rgb(Rgb {
                    r: 0.1,
                    g: 0.1,
                    b: 0.15,
                    icc_profile: None,
                }),
            },
            Op::ShowText {
                items: vec![TextItem::Text(latin1(text))],
            },
            Op::EndTextSection,
        ]);
    }

    fn rule(&mut self, y: f32) {
        self.ops.extend([
            Op::SetOutlineThickness { pt: Pt(0.5) },
            Op::DrawLine {
                line: Line {
                    points: vec![
                        LinePoint {
                            p: Point::new(Mm(MARGIN), Mm(y)),
                            bezier: false,
                        },
                        LinePoint {
                            p: Point::new(Mm(PAGE_WIDTH - MARGIN), Mm(y)),
                            bezier: false,
                        },
                    ],
                    is_closed: false,
                },
            },
        ]);
    }

    /// The PDF file's bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.new_page();
        let count = self.pages.len();
        let pages = self
            .pages
            .into_iter()
            .enumerate()
            .map(|(i, mut ops)| {
                let footer = format!("{} - page {} of {count}", latin1(&self.title), i + 1);
                ops.extend([
                    Op::StartTextSection,
                    Op::SetTextCursor {
                        pos: Point::new(Mm(MARGIN), Mm(MARGIN / 2.0)),
                    },
                    Op::SetFont {
                        font: PdfFontHandle::Builtin(BuiltinFont::Helvetica),
                        size: Pt(8.0),
                    },
                    Op::ShowText {
                        items: vec![TextItem::Text(footer)],
                    },
                    Op::EndTextSection,
                ]);
                PdfPage::new(Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), ops)
            })
            .collect();
        PdfDocument::new(&self.title)
            .with_pages(pages)
            .save(&PdfSaveOptions::default(), &mut Vec::new())
    }
}

/// Built-in fonts speak Latin-1 (WinAnsi); anything else becomes `?`.
fn latin1(text: &str) -> String {
    text.chars()
        .map(|c| {
            if (c as u32) < 0x100 && !c.is_control() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// Greedy word wrap at `width` characters; a word longer than a line is cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let mut word = word.to_owned();
            while word.chars().count() > width {
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(head);
            }
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_word_boundaries_and_cuts_long_words() {
        assert_eq!(wrap("aaa bbb ccc", 7), ["aaa bbb", "ccc"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("one\ntwo", 80), ["one", "two"]);
    }

    #[test]
    fn characters_outside_latin1_become_question_marks() {
        assert_eq!(latin1("Zürich → Łódź"), "Zürich ? ?ód?");
    }

    #[test]
    fn a_long_table_breaks_onto_more_pages() {
        let mut pdf = PdfWriter::new("Test");
        pdf.heading("Test");
        let rows: Vec<Vec<String>> = (0..200).map(|i| vec![format!("row {i}")]).collect();
        pdf.table(
            &[Column {
                heading: "Row",
                width: 60.0,
                align: Align::Left,
            }],
            &rows,
        );
        let bytes = pdf.finish();
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(
            String::from_utf8_lossy(&bytes).contains("/Count 5"),
            "200 rows need 5 pages"
        );
    }
}
