//! Reading a CSV lookup table (stage: load).
//!
//! Splunk's CSV lookups ("Configure CSV lookups", Knowledge Manager Manual): the first row names
//! the columns; the file is UTF-8; a multivalue field is written as several rows with the same
//! key ("any column can have multiple instances of the same value, as this represents a
//! multivalued field"), so a cell is one value — a newline inside a quoted cell stays part of
//! that value. tripline reads `.csv` and `.csv.gz`, the two forms the Search Reference names for
//! lookup files. An empty cell is no value. A row with fewer cells than the header has empty
//! cells at the end; a row with more cells is an error (its extra values would be lost).
//!
//! **Choice** (undocumented): spaces and tabs around header names and cells are removed.
//! security_content's own tables are written `workflow_name, job_name` / `deployment,
//! k8s-security`, and its detections use the names and values without the space
//! (`OUTPUTNEW job_name`, `search lfi_path=yes`, `search isDynDNS=True`), which only works
//! in Splunk if it trims them too.

use crate::diag::{Diag, Kind};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A loaded lookup table: column names and rows of cells (an empty string is an empty cell).
pub struct Table {
    /// The file it was read from.
    pub file: PathBuf,
    /// Column names, in file order.
    pub columns: Vec<String>,
    /// Rows in file order; each has exactly `columns.len()` cells.
    pub rows: Vec<Box<[String]>>,
    /// Estimated bytes held in memory (for the `--max-memory` budget).
    pub bytes: usize,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("file", &self.file)
            .field("columns", &self.columns)
            .field("rows", &self.rows.len())
            .finish()
    }
}

impl Table {
    /// The position of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

fn csv_err(file: &Path, line: Option<u64>, msg: impl std::fmt::Display) -> Diag {
    let at = line.map(|l| format!(":{l}")).unwrap_or_default();
    Diag::error(
        Kind::Invalid,
        "tripline::lookup::csv",
        format!("`{}{at}`: {msg}", file.display()),
    )
    .help("a lookup table is a UTF-8 CSV file whose first row names the columns")
}

/// Read a `.csv` or `.csv.gz` file of at most `max_bytes` (uncompressed); a bigger file is an
/// error, never truncated.
pub fn read(file: &Path, max_bytes: usize) -> Result<Table, Diag> {
    let io = |e: &std::io::Error| {
        Diag::error(
            Kind::Io,
            "tripline::lookup::io",
            format!("cannot read lookup file `{}`: {e}", file.display()),
        )
    };
    let too_big = || {
        Diag::error(
            Kind::Runtime,
            "tripline::limit::lookup_size",
            format!(
                "lookup file `{}` is larger than the memory budget of {} MiB",
                file.display(),
                max_bytes >> 20
            ),
        )
        .help("raise the budget with `--max-memory <MiB>`; tripline never reads part of a lookup table")
    };
    let f = std::fs::File::open(file).map_err(|e| io(&e))?;
    let gz = file
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.to_ascii_lowercase().ends_with(".gz"));
    if !gz && f.metadata().map_err(|e| io(&e))?.len() > max_bytes as u64 {
        return Err(too_big());
    }
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(f))
    } else {
        Box::new(f)
    };
    let mut bytes = Vec::new();
    reader
        .take((max_bytes as u64).saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io(&e))?;
    if bytes.len() > max_bytes {
        return Err(too_big());
    }
    let table = parse(file, &bytes)?;
    if table.bytes > max_bytes {
        return Err(too_big());
    }
    Ok(table)
}

fn trim(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// Parse CSV text (the first row is the header).
pub fn parse(file: &Path, bytes: &[u8]) -> Result<Table, Diag> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = rdr.records();
    let header = match records.next() {
        None => return Err(csv_err(file, None, "the file is empty: no header row")),
        Some(Err(e)) => return Err(csv_err(file, e.position().map(|p| p.line()), e)),
        Some(Ok(h)) => h,
    };
    let mut columns: Vec<String> = Vec::with_capacity(header.len());
    for (i, name) in header.iter().enumerate() {
        let name = if i == 0 {
            name.trim_start_matches('\u{feff}')
        } else {
            name
        };
        let name = trim(name);
        if name.is_empty() {
            return Err(csv_err(
                file,
                Some(1),
                format!("column {} of the header has no name", i + 1),
            ));
        }
        if columns.iter().any(|c| c == name) {
            return Err(csv_err(
                file,
                Some(1),
                format!("the header names column `{name}` twice"),
            ));
        }
        columns.push(name.to_string());
    }
    let width = columns.len();
    let mut rows = Vec::new();
    let mut held = 64 + columns.iter().map(|c| c.len() + 24).sum::<usize>();
    for rec in records {
        let rec = rec.map_err(|e| csv_err(file, e.position().map(|p| p.line()), e))?;
        let line = rec.position().map(|p| p.line());
        if rec.len() > width {
            return Err(csv_err(
                file,
                line,
                format!(
                    "the row has {} cells but the header names {width}",
                    rec.len()
                ),
            ));
        }
        // A blank line is no row.
        if rec.len() == 1 && rec.get(0).is_some_and(str::is_empty) && width > 1 {
            continue;
        }
        let mut cells: Vec<String> = rec.iter().map(|c| trim(c).to_string()).collect();
        cells.resize(width, String::new());
        held += 24 + cells.iter().map(|c| c.len() + 24).sum::<usize>();
        rows.push(cells.into_boxed_slice());
    }
    Ok(Table {
        file: file.to_path_buf(),
        columns,
        rows,
        bytes: held,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Table, Diag> {
        parse(Path::new("t.csv"), text.as_bytes())
    }

    #[test]
    fn header_rows_quotes_and_short_rows() {
        let t = p("a,b,c\r\n1,\"x, y\",\"two\nlines\"\n2,z\n\n").unwrap();
        assert_eq!(t.columns, ["a", "b", "c"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(&*t.rows[0], ["1", "x, y", "two\nlines"]);
        assert_eq!(&*t.rows[1], ["2", "z", ""]);
    }

    #[test]
    fn spaces_around_names_and_cells_are_removed() {
        let t = p("workflow_name, job_name\ndeployment, k8s-security \n").unwrap();
        assert_eq!(t.columns, ["workflow_name", "job_name"]);
        assert_eq!(&*t.rows[0], ["deployment", "k8s-security"]);
    }

    #[test]
    fn bom_is_not_part_of_the_first_name() {
        let t = p("\u{feff}user,dept\nalice,eng\n").unwrap();
        assert_eq!(t.columns, ["user", "dept"]);
    }

    #[test]
    fn bad_tables_are_errors_with_the_line() {
        let e = p("a,b\n1,2,3\n").unwrap_err();
        assert_eq!(e.code, "tripline::lookup::csv");
        assert!(e.message.contains("t.csv:2"), "{}", e.message);
        assert!(p("").is_err());
        assert!(p("a,a\n1,2\n").unwrap_err().message.contains("twice"));
        assert!(p("a,,c\n").unwrap_err().message.contains("no name"));
        let bad_utf8 = parse(Path::new("t.csv"), b"a,b\n\xff,1\n").unwrap_err();
        assert_eq!(bad_utf8.code, "tripline::lookup::csv");
    }
}
