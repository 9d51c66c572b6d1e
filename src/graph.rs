//! `privctl map graph`: the data map as the model resolved it against the database, as a
//! graph a reviewer can see at a glance. The tenant table is the root; each mapped table is a
//! box saying what an erasure does to it (for a DSAR and for a tenant deletion), its retention
//! category and window, the identities it holds and the store its objects are in; global and
//! ignored tables stand apart. Edges go from the row others belong to down to the rows that
//! reference it, labelled with the referencing columns: a foreign key or a map link (`[map]`),
//! an owned link (bold: the referenced row is the subject's too), a link erasure does not follow
//! (dashed), and a table's own tenant column (from the tenant table).
//!
//! [`Graph`] is built once and written as Graphviz DOT, Mermaid, or SVG (laid out here, from
//! the DOT, with the `layout-rs` crate: no Graphviz needed).

use std::fmt::Write as _;

use crate::map::{DataMap, Erase, RetentionRule, Window};
use crate::model::{Link, Model, Route};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    Tenant,
    Table,
    Global,
    Ignored,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EdgeKind {
    /// A foreign key or a map link that erasure follows.
    Link,
    /// `owned = true`: the parent row belongs to the child row's subject.
    Owned,
    /// `follow = false`: rows referencing a selected row are not the subject's.
    NotFollowed,
    /// The table's own tenant column.
    TenantColumn,
}

struct Node {
    name: String,
    kind: NodeKind,
    /// The lines under the name.
    lines: Vec<String>,
}

struct Edge {
    from: usize,
    to: usize,
    label: String,
    kind: EdgeKind,
}

impl Edge {
    /// The label as drawn: the columns, and what an owned or not-followed link is.
    fn shown(&self) -> String {
        match self.kind {
            EdgeKind::Owned => format!("{} (owned)", self.label),
            EdgeKind::NotFollowed => format!("{} (not followed)", self.label),
            _ => self.label.clone(),
        }
    }
}

pub struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

impl Graph {
    pub fn of(map: &DataMap, model: &Model) -> Self {
        let mut nodes = Vec::new();
        if let Some(tenant) = &model.tenant {
            let mut lines = vec![format!("tenant table, id {}", tenant.id)];
            lines.push(format!(
                "delete-tenant: {}",
                erase_word(&model.tenant_erase)
            ));
            nodes.push(Node {
                name: tenant.name.clone(),
                kind: NodeKind::Tenant,
                lines,
            });
        }
        for (name, node) in &model.nodes {
            let spec = &node.spec;
            let mut lines = Vec::new();
            let (subject, tenant) = (&spec.erase.subject, &spec.erase.tenant);
            if subject == tenant {
                lines.push(format!("erase: {}", erase_word(subject)));
            } else {
                lines.push(format!(
                    "dsar: {} · tenant: {}",
                    erase_word(subject),
                    erase_word(tenant)
                ));
            }
            if let Some(category) = &spec.category {
                let window = map
                    .retention
                    .get(category)
                    .map_or_else(|| "no window".to_owned(), rule_words);
                lines.push(format!("retention: {category} ({window})"));
            }
            if !spec.identities.is_empty() {
                let ids: Vec<String> = spec
                    .identities
                    .iter()
                    .map(|id| {
                        if id.identity == id.column {
                            id.column.clone()
                        } else {
                            format!("{} = {}", id.identity, id.column)
                        }
                    })
                    .collect();
                lines.push(format!("identities: {}", ids.join(", ")));
            }
            if let Some(blob) = &spec.blob {
                lines.push(format!("objects: {} in {}", blob.column, blob.store));
            }
            nodes.push(Node {
                name: name.clone(),
                kind: if node.global {
                    NodeKind::Global
                } else {
                    NodeKind::Table
                },
                lines: if node.global {
                    std::iter::once("global: no tenant".to_owned())
                        .chain(lines)
                        .collect()
                } else {
                    lines
                },
            });
        }
        for (name, reason) in &map.ignored {
            nodes.push(Node {
                name: name.clone(),
                kind: NodeKind::Ignored,
                lines: vec![format!(
                    "ignored: {}",
                    reason.as_deref().unwrap_or("no reason given")
                )],
            });
        }
        let index = |name: &str, nodes: &[Node]| nodes.iter().position(|n| n.name == name);
        let mut edges = Vec::new();
        let tenant_index = model.tenant.as_ref().and_then(|t| index(&t.name, &nodes));
        for (name, node) in &model.nodes {
            let Some(from) = index(name, &nodes) else {
                continue;
            };
            for link in &node.links {
                if let Some(to) = index(&link.parent, &nodes) {
                    edges.push(link_edge(from, to, link));
                }
            }
            for route in &node.routes {
                if let (Route::Column { column, .. }, Some(to)) = (route, tenant_index) {
                    // A foreign key of the tenant column is the same edge, drawn once.
                    edges.retain(|e: &Edge| !(e.from == from && e.to == to && e.label == *column));
                    edges.push(Edge {
                        from,
                        to,
                        label: column.clone(),
                        kind: EdgeKind::TenantColumn,
                    });
                }
            }
        }
        if let (Some(tenant), Some(from)) = (&model.tenant, tenant_index) {
            for link in &tenant.links {
                if let Some(to) = index(&link.parent, &nodes) {
                    edges.push(link_edge(from, to, link));
                }
            }
        }
        // A link the map declares over a foreign key of the database is one edge.
        let mut seen = std::collections::HashSet::new();
        edges.retain(|e| seen.insert((e.from, e.to, e.label.clone())));
        Graph { nodes, edges }
    }

    /// Graphviz DOT (`dot -Tsvg`), with only the attributes `layout-rs` also reads.
    pub fn dot(&self) -> String {
        let mut out = String::from(
            "digraph privctl_map {\n  rankdir=TB;\n  node [shape=box, fontsize=12];\n  edge [fontsize=10];\n",
        );
        for (i, node) in self.nodes.iter().enumerate() {
            let label = std::iter::once(node.name.as_str())
                .chain(node.lines.iter().map(String::as_str))
                .map(dot_escape)
                .collect::<Vec<_>>()
                .join("\\n");
            let look = match node.kind {
                NodeKind::Tenant => ", style=filled, fillcolor=\"#cfe2ff\", penwidth=2",
                NodeKind::Table => "",
                NodeKind::Global => ", style=filled, fillcolor=\"#fff3cd\"",
                NodeKind::Ignored => ", style=filled, fillcolor=\"#e9ecef\", color=gray",
            };
            let _ = writeln!(out, "  n{i} [label=\"{label}\"{look}];");
        }
        for edge in &self.edges {
            let look = match edge.kind {
                EdgeKind::Link => "",
                EdgeKind::Owned => ", penwidth=3",
                EdgeKind::NotFollowed => ", style=dashed",
                EdgeKind::TenantColumn => ", color=\"#0d6efd\"",
            };
            let label = edge.shown();
            let _ = writeln!(
                out,
                "  n{} -> n{} [label=\"{}\"{look}];",
                edge.to,
                edge.from,
                dot_escape(&label)
            );
        }
        out.push_str("}\n");
        out
    }

    /// A Mermaid flowchart (GitHub and GitLab render it in Markdown).
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart TB\n");
        for (i, node) in self.nodes.iter().enumerate() {
            let label = std::iter::once(format!("<b>{}</b>", mermaid_escape(&node.name)))
                .chain(node.lines.iter().map(|l| mermaid_escape(l)))
                .collect::<Vec<_>>()
                .join("<br/>");
            let _ = writeln!(out, "  n{i}[\"{label}\"]");
        }
        for edge in &self.edges {
            let arrow = match edge.kind {
                EdgeKind::Link | EdgeKind::TenantColumn => "-->",
                EdgeKind::Owned => "==>",
                EdgeKind::NotFollowed => "-.->",
            };
            let label = edge.shown();
            let _ = writeln!(
                out,
                "  n{} {arrow}|\"{}\"| n{}",
                edge.to,
                mermaid_escape(&label),
                edge.from
            );
        }
        for (i, node) in self.nodes.iter().enumerate() {
            let class = match node.kind {
                NodeKind::Tenant => "tenant",
                NodeKind::Table => continue,
                NodeKind::Global => "global",
                NodeKind::Ignored => "ignored",
            };
            let _ = writeln!(out, "  class n{i} {class}");
        }
        out.push_str("  classDef tenant fill:#cfe2ff,stroke:#0d6efd,stroke-width:2px\n");
        out.push_str("  classDef global fill:#fff3cd\n");
        out.push_str("  classDef ignored fill:#e9ecef,stroke:#6c757d,color:#495057\n");
        out
    }

    /// An SVG picture, laid out from [`Graph::dot`].
    pub fn svg(&self) -> Result<String, String> {
        use layout::backends::svg::SVGWriter;
        use layout::gv::{DotParser, GraphBuilder};
        let dot = self.dot();
        let mut parser = DotParser::new(&dot);
        let parsed = parser
            .process()
            .map_err(|e| format!("laying out the graph: {e}"))?;
        let mut builder = GraphBuilder::new();
        builder.visit_graph(&parsed);
        let mut graph = builder.get();
        let mut svg = SVGWriter::new();
        graph.do_it(false, false, false, &mut svg);
        Ok(svg.finalize())
    }
}

fn link_edge(from: usize, to: usize, link: &Link) -> Edge {
    let mut label = link.columns.join(", ");
    if !link.enforced {
        label.push_str(" [map]");
    }
    Edge {
        from,
        to,
        label,
        kind: if link.owned {
            EdgeKind::Owned
        } else if !link.follow {
            EdgeKind::NotFollowed
        } else {
            EdgeKind::Link
        },
    }
}

fn erase_word(erase: &Erase) -> String {
    match erase {
        Erase::Delete => "delete".to_owned(),
        Erase::Retain => "retain".to_owned(),
        Erase::Anonymise(columns) => {
            let names: Vec<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
            format!("anonymise {}", names.join(", "))
        }
    }
}

fn window_words(window: &Window) -> String {
    match window {
        Window::Keep(duration) => duration.to_string(),
        Window::Unlimited => "unlimited".to_owned(),
    }
}

fn rule_words(rule: &RetentionRule) -> String {
    match rule {
        RetentionRule::Flat(window) => window_words(window),
        RetentionRule::ByPlan(plans) => plans
            .iter()
            .map(|(plan, window)| format!("{plan} {}", window_words(window)))
            .collect::<Vec<_>>()
            .join(", "),
        RetentionRule::AfterEnd(window) => {
            format!("{} after the tenant ends", window_words(window))
        }
    }
}

/// A DOT string's text: quotes and backslashes escaped, control characters dropped.
fn dot_escape(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            c => vec![c],
        })
        .collect()
}

/// A Mermaid label's text: what would end the label or be read as markup, as entities.
fn mermaid_escape(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '"' => "#quot;".to_owned(),
            '<' => "#lt;".to_owned(),
            '>' => "#gt;".to_owned(),
            '|' => "#124;".to_owned(),
            '#' => "#35;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_cannot_break_out_of_a_label() {
        assert_eq!(dot_escape("a\"b\\c\nd"), "a\\\"b\\\\cd");
        assert_eq!(mermaid_escape("x\"]<b>|#"), "x#quot;]#lt;b#gt;#124;#35;");
    }
}
