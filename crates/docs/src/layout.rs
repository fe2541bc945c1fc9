//! A flowing A4 layout: text is wrapped to the column and pages are added
//! as it fills. Widths are measured per character with a safe average for
//! DejaVu Sans (the embedded font), so a line never runs past the margin.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};

use crate::DocError;

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const LABEL_WIDTH: f32 = 170.0;
/// DejaVu Sans advances average ~0.55 em in Cyrillic and Latin text (the
/// bold ~0.62); these keep wrapped lines inside the column.
const EM_PER_CHAR: f32 = 0.58;
const EM_PER_CHAR_BOLD: f32 = 0.66;

enum Item {
    Title(String),
    Heading(String),
    Field {
        label: String,
        value: String,
        size: f32,
    },
    Paragraph {
        text: String,
        size: f32,
        muted: bool,
    },
    Qr {
        url: String,
        caption: String,
    },
}

/// A document being written, top to bottom.
pub struct Layout {
    title: String,
    items: Vec<Item>,
}

/// How text looks: size, weight, colour.
#[derive(Clone, Copy)]
struct Style {
    size: f32,
    bold: bool,
    grey: bool,
}

const LABEL: Style = Style {
    size: 9.0,
    bold: true,
    grey: true,
};

fn wrap(text: &str, style: Style, width: f32) -> Vec<String> {
    let em = if style.bold {
        EM_PER_CHAR_BOLD
    } else {
        EM_PER_CHAR
    };
    let max = ((width / (style.size * em)).floor() as usize).max(8);
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let mut word = word.to_owned();
            // A word longer than the line (a hash, a URL) is cut.
            while word.chars().count() > max {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                let head: String = word.chars().take(max).collect();
                word = word.chars().skip(max).collect();
                lines.push(head);
            }
            let needed =
                line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
            if needed > max && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

fn line_height(style: Style) -> f32 {
    style.size * 1.45
}

enum Op {
    Text {
        x: f32,
        y: f32,
        style: Style,
        text: String,
    },
    Square {
        x: f32,
        y: f32,
        side: f32,
    },
}

/// Lays the items out in pages of drawing operations.
struct Pen {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Pen {
    /// A new page unless `h` more fits on this one.
    fn room(&mut self, h: f32) {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        if self.y + h > HEIGHT - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn op(&mut self, op: Op) {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        if let Some(p) = self.pages.last_mut() {
            p.push(op);
        }
    }

    /// Text wrapped to `width`, breaking pages between lines.
    fn lines(&mut self, x: f32, width: f32, text: &str, style: Style) {
        for line in wrap(text, style, width) {
            self.room(line_height(style));
            self.put(x, line, style);
        }
    }

    /// Lines placed from `top` without page breaks (the caller made room);
    /// returns where they end.
    fn block(&mut self, x: f32, top: f32, width: f32, text: &str, style: Style) -> f32 {
        self.y = top;
        for line in wrap(text, style, width) {
            self.put(x, line, style);
        }
        self.y
    }

    fn put(&mut self, x: f32, text: String, style: Style) {
        self.y += style.size * 1.2;
        self.op(Op::Text {
            x,
            y: self.y,
            style,
            text,
        });
        self.y += style.size * 0.25;
    }

    fn draw(
        pages: Vec<Vec<Op>>,
        doc: &mut Document,
        regular: &Font,
        bold: &Font,
    ) -> Result<(), DocError> {
        for ops in pages {
            let settings = PageSettings::from_wh(WIDTH, HEIGHT)
                .ok_or_else(|| DocError::Pdf("page size".into()))?;
            let mut page = doc.start_page_with(settings);
            let mut surface = page.surface();
            for op in ops {
                match op {
                    Op::Text { x, y, style, text } => {
                        let shade = if style.grey { 90 } else { 20 };
                        surface.set_fill(Some(Fill {
                            paint: rgb::Color::new(shade, shade, shade + 10).into(),
                            opacity: NormalizedF32::ONE,
                            rule: Default::default(),
                        }));
                        let font = if style.bold {
                            bold.clone()
                        } else {
                            regular.clone()
                        };
                        surface.draw_text(
                            Point::from_xy(x, y),
                            font,
                            style.size,
                            &text,
                            false,
                            TextDirection::Auto,
                        );
                    }
                    Op::Square { x, y, side } => {
                        surface.set_fill(Some(Fill::default()));
                        let mut pb = PathBuilder::new();
                        if let Some(r) = Rect::from_xywh(x, y, side, side) {
                            pb.push_rect(r);
                        }
                        if let Some(path) = pb.finish() {
                            surface.draw_path(&path);
                        }
                    }
                }
            }
            surface.finish();
            page.finish();
        }
        Ok(())
    }
}

impl Layout {
    pub fn new(title: impl Into<String>) -> Layout {
        let title = title.into();
        Layout {
            items: vec![Item::Title(title.clone())],
            title,
        }
    }

    pub fn heading(&mut self, text: impl Into<String>) -> &mut Self {
        self.items.push(Item::Heading(text.into()));
        self
    }

    /// A label and its value, side by side, kept on one page.
    pub fn field(&mut self, label: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.items.push(Item::Field {
            label: label.into(),
            value: value.into(),
            size: 10.0,
        });
        self
    }

    /// The same in small print, for long codes such as hashes.
    pub fn field_small(&mut self, label: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.items.push(Item::Field {
            label: label.into(),
            value: value.into(),
            size: 7.5,
        });
        self
    }

    pub fn paragraph(&mut self, text: impl Into<String>) -> &mut Self {
        self.items.push(Item::Paragraph {
            text: text.into(),
            size: 10.0,
            muted: false,
        });
        self
    }

    /// Small grey print.
    pub fn note(&mut self, text: impl Into<String>) -> &mut Self {
        self.items.push(Item::Paragraph {
            text: text.into(),
            size: 8.0,
            muted: true,
        });
        self
    }

    /// A QR code of `url`, with the caption and the URL beside it.
    pub fn qr(&mut self, url: impl Into<String>, caption: impl Into<String>) -> &mut Self {
        self.items.push(Item::Qr {
            url: url.into(),
            caption: caption.into(),
        });
        self
    }

    pub fn render(&self) -> Result<Vec<u8>, DocError> {
        let regular = Font::new(REGULAR.into(), 0).ok_or_else(|| DocError::Pdf("font".into()))?;
        let bold = Font::new(BOLD.into(), 0).ok_or_else(|| DocError::Pdf("bold font".into()))?;
        let mut doc = Document::new();
        doc.set_metadata(
            Metadata::new()
                .title(self.title.clone())
                .language("ru".into())
                .creator("Propusk".into()),
        );
        Pen::draw(self.pages()?, &mut doc, &regular, &bold)?;
        doc.finish().map_err(|e| DocError::Pdf(format!("{e:?}")))
    }

    fn pages(&self) -> Result<Vec<Vec<Op>>, DocError> {
        let mut pen = Pen {
            pages: Vec::new(),
            y: MARGIN,
        };
        let column = WIDTH - 2.0 * MARGIN;
        let plain = |size: f32, grey: bool| Style {
            size,
            bold: false,
            grey,
        };
        for item in &self.items {
            match item {
                Item::Title(t) => {
                    pen.lines(
                        MARGIN,
                        column,
                        "Пропуск",
                        Style {
                            size: 10.0,
                            bold: true,
                            grey: true,
                        },
                    );
                    pen.lines(
                        MARGIN,
                        column,
                        t,
                        Style {
                            size: 16.0,
                            bold: true,
                            grey: false,
                        },
                    );
                    pen.y += 8.0;
                }
                Item::Heading(t) => {
                    // A heading never ends a page.
                    pen.room(60.0);
                    pen.y += 8.0;
                    pen.lines(
                        MARGIN,
                        column,
                        t,
                        Style {
                            size: 12.0,
                            bold: true,
                            grey: false,
                        },
                    );
                    pen.y += 2.0;
                }
                Item::Field { label, value, size } => {
                    let style = plain(*size, false);
                    let value_width = column - LABEL_WIDTH;
                    let h = (wrap(label, LABEL, LABEL_WIDTH - 8.0).len() as f32
                        * line_height(LABEL))
                    .max(wrap(value, style, value_width).len() as f32 * line_height(style));
                    pen.room(h);
                    let top = pen.y;
                    let a = pen.block(MARGIN, top, LABEL_WIDTH - 8.0, label, LABEL);
                    let b = pen.block(MARGIN + LABEL_WIDTH, top, value_width, value, style);
                    pen.y = a.max(b) + 3.0;
                }
                Item::Paragraph { text, size, muted } => {
                    pen.y += 4.0;
                    pen.lines(MARGIN, column, text, plain(*size, *muted));
                }
                Item::Qr { url, caption } => {
                    let code = qrcode::QrCode::new(url.as_bytes())
                        .map_err(|e| DocError::Qr(e.to_string()))?;
                    let n = code.width();
                    let side = 120.0;
                    // Four modules of quiet zone on every side.
                    let module = side / (n as f32 + 8.0);
                    pen.room(side + 8.0);
                    let (x0, y0) = (MARGIN, pen.y);
                    for (i, c) in code.to_colors().iter().enumerate() {
                        if *c == qrcode::Color::Dark {
                            let (cx, cy) = ((i % n) as f32 + 4.0, (i / n) as f32 + 4.0);
                            pen.op(Op::Square {
                                x: x0 + cx * module,
                                y: y0 + cy * module,
                                side: module + 0.02,
                            });
                        }
                    }
                    let text_x = MARGIN + side + 16.0;
                    let text_w = column - side - 16.0;
                    let y = pen.block(text_x, y0 + 16.0, text_w, caption, plain(10.0, false));
                    pen.block(text_x, y + 4.0, text_w, url, plain(8.0, true));
                    pen.y = y0 + side + 4.0;
                }
            }
        }
        Ok(pen.pages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_word_and_cuts_long_ones() {
        let text = "Согласие субъекта персональных данных на обработку";
        let lines = wrap(text, plain(), 120.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.join(" "), text);
        let hash = "a".repeat(100);
        let lines = wrap(&hash, plain(), 120.0);
        assert!(lines.iter().all(|l| l.chars().count() <= 20));
        assert_eq!(lines.concat(), hash);
        let bold = Style {
            bold: true,
            ..plain()
        };
        assert!(
            wrap(text, bold, 120.0).len() >= lines.len().min(3),
            "bold is wider"
        );
    }

    fn plain() -> Style {
        Style {
            size: 10.0,
            bold: false,
            grey: false,
        }
    }

    #[test]
    fn a_document_renders_and_flows_onto_more_pages() {
        let mut l = Layout::new("Проверка");
        for i in 0..120 {
            l.field(
                format!("Поле {i}"),
                "Значение поля, достаточно длинное, чтобы перенестись на следующую строку",
            );
        }
        l.qr("https://propusk.example/consents/receipts/1", "Статус");
        let pages = l.pages().unwrap();
        assert!(pages.len() >= 3, "120 fields do not fit one page");
        for page in &pages {
            for op in page {
                if let Op::Text { y, .. } = op {
                    assert!(
                        *y <= HEIGHT - MARGIN + 1.0 && *y >= MARGIN,
                        "inside the margins: {y}"
                    );
                }
            }
        }
        let pdf = l.render().unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
