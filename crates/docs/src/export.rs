//! The citizen's copy of their data as a PDF: a title, a line on what it
//! is, and sections of labelled rows. What goes in is the service's to
//! decide; this only lays it out.

use crate::{DocError, Layout};

/// One part of the document: a heading and its rows.
#[derive(Debug, Clone, Default)]
pub struct Section {
    heading: String,
    rows: Vec<(String, String)>,
}

impl Section {
    pub fn new(heading: impl Into<String>) -> Section {
        Section {
            heading: heading.into(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, label: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.rows.push((label.into(), value.into()));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

pub fn render(title: &str, intro: &str, sections: &[Section]) -> Result<Vec<u8>, DocError> {
    let mut l = Layout::new(title);
    l.paragraph(intro);
    for s in sections {
        l.heading(&s.heading);
        for (label, value) in &s.rows {
            l.field_small(label, value);
        }
    }
    l.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_long_sections() {
        let mut s = Section::new("Журнал");
        for i in 0..300 {
            s.row(format!("Строка {i}"), "значение");
        }
        let pdf = render("Выгрузка", "Пояснение", &[s]).expect("pdf");
        assert!(pdf.starts_with(b"%PDF"));
    }
}
