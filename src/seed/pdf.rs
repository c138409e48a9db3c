//! A minimal one-page PDF with a few lines of text, so demo documents open in any viewer.

/// Renders `lines` (ASCII; other characters are replaced) on one A4 page.
pub fn one_page(lines: &[String]) -> Vec<u8> {
    let mut text = String::from("BT /F1 11 Tf 56 780 Td 14 TL\n");
    for line in lines {
        let safe: String = line
            .chars()
            .map(|c| {
                if c.is_ascii() && !matches!(c, '(' | ')' | '\\') && !c.is_ascii_control() {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        text.push_str(&format!("({safe}) Tj T*\n"));
    }
    text.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn xref_points_at_objects() {
        let pdf = super::one_page(&["Hello".to_owned()]);
        let s = String::from_utf8(pdf).unwrap();
        let xref_at: usize = s
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(s[xref_at..].starts_with("xref"));
        let first_obj: usize = s[xref_at..].lines().nth(3).unwrap()[..10].parse().unwrap();
        assert!(s[first_obj..].starts_with("1 0 obj"));
    }
}
