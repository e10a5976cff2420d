//! A picture as SVG: a tidy tree laid out here (parents centred over their children, boxes as
//! wide as their labels), states as CSS classes, `<title>` tooltips and `data-path` attributes.

use std::fmt::Write;

use super::{breaker_class, breaker_line, Drawn, Picture, Shape, Used, COLOURS};

/// Width of a character of the labels' monospace font, in pixels.
const CHAR_W: f64 = 7.2;
/// Padding inside a box, left and right.
const PAD_X: f64 = 10.0;
const BOX_H: f64 = 28.0;
/// Space between two sibling subtrees.
const GAP_X: f64 = 16.0;
/// Space between two levels.
const GAP_Y: f64 = 36.0;
const MARGIN: f64 = 12.0;

/// Where one box stands: its left edge, top, width, and the box it hangs from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Placed {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub parent: Option<usize>,
}

impl Placed {
    fn centre(&self) -> f64 {
        self.x + self.w / 2.0
    }

    /// Whether two boxes share any area.
    #[cfg(test)]
    pub(crate) fn overlaps(&self, other: &Placed) -> bool {
        self.x < other.x + other.w
            && other.x < self.x + self.w
            && self.y < other.y + BOX_H
            && other.y < self.y + BOX_H
    }
}

fn box_width(label: &str) -> f64 {
    (label.chars().count() as f64 * CHAR_W + 2.0 * PAD_X).max(40.0)
}

/// A subtree laid out on its own: its root box's left edge and the subtree's leftmost and
/// rightmost extent, relative to its origin, and where each child's origin sits.
struct Laid {
    left: f64,
    lo: f64,
    hi: f64,
}

/// Lays out `node`'s subtree relative to its own origin, children first: side by side, each
/// subtree's extent (its boxes at every depth) after the one before, so that no two boxes of
/// different subtrees can meet; the parent centred over its first and last child.
fn lay(node: &Drawn, out: &mut Vec<(f64, f64)>) -> Laid {
    let me = out.len();
    // (this node's box left, relative to its origin; its origin, relative to its parent's)
    out.push((0.0, 0.0));
    let w = box_width(&node.line());
    if node.children.is_empty() {
        return Laid {
            left: 0.0,
            lo: 0.0,
            hi: w,
        };
    }
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    let mut next = 0.0;
    let (mut first, mut last) = (0.0, 0.0);
    for (i, child) in node.children.iter().enumerate() {
        let at = out.len();
        let laid = lay(child, out);
        let origin = next - laid.lo;
        out[at].1 = origin;
        next = origin + laid.hi + GAP_X;
        lo = lo.min(origin + laid.lo);
        hi = hi.max(origin + laid.hi);
        let centre = origin + laid.left + box_width(&child.line()) / 2.0;
        if i == 0 {
            first = centre;
        }
        last = centre;
    }
    let left = (first + last) / 2.0 - w / 2.0;
    out[me].0 = left;
    Laid {
        left,
        lo: lo.min(left),
        hi: hi.max(left + w),
    }
}

/// Lays the tree out, in the numbering `Drawn::walk` gives: no two boxes overlap, each parent
/// centred over its first and last child.
pub(crate) fn layout(root: &Drawn) -> Vec<Placed> {
    let mut rel = Vec::new();
    let laid = lay(root, &mut rel);
    let mut placed = Vec::with_capacity(rel.len());
    place(root, None, MARGIN - laid.lo, MARGIN, &rel, &mut placed);
    placed
}

fn place(
    node: &Drawn,
    parent: Option<usize>,
    origin: f64,
    top: f64,
    rel: &[(f64, f64)],
    out: &mut Vec<Placed>,
) {
    let me = out.len();
    out.push(Placed {
        x: origin + rel[me].0,
        y: top,
        w: box_width(&node.line()),
        parent,
    });
    for child in &node.children {
        let at = out.len();
        place(
            child,
            Some(me),
            origin + rel[at].1,
            top + BOX_H + GAP_Y,
            rel,
            out,
        );
    }
}

impl Picture {
    /// The tree as SVG, laid out here (no JavaScript, no fonts to fetch): the same shapes,
    /// labels and states as [`mermaid`](Self::mermaid) and [`dot`](Self::dot); each node is a
    /// `<g>` with its kind and state as CSS classes, its path in `data-path` and its line as a
    /// `<title>` tooltip; breakers stand below the tree with their "depends on" and "uses"
    /// edges.
    pub fn svg(&self) -> String {
        let mut nodes = Vec::new();
        self.root.walk(None, &mut nodes);
        let placed = layout(&self.root);
        let paths = paths(&nodes);
        let tree_w = placed.iter().map(|p| p.x + p.w).fold(0.0, f64::max);
        let tree_h = placed.iter().map(|p| p.y + BOX_H).fold(0.0, f64::max);
        // The breakers, in a row under the tree.
        let mut breakers = Vec::new();
        let mut bx = MARGIN;
        let by = tree_h + GAP_Y;
        for (name, state) in &self.breakers {
            let line = breaker_line(name, *state);
            let w = box_width(&line);
            breakers.push((bx, w, line, state.map(breaker_class)));
            bx += w + GAP_X;
        }
        let width = tree_w.max(bx) + MARGIN;
        let height = if breakers.is_empty() {
            tree_h
        } else {
            by + BOX_H
        } + MARGIN;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"supervision-tree\" \
             width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" \
             font-family=\"monospace\" font-size=\"12\">"
        );
        let _ = writeln!(out, "<title>{}</title>", xml(&self.name));
        out.push_str("<style>\n");
        out.push_str(".node rect, .node polygon { fill: #ffffff; stroke: #455a64; }\n");
        out.push_str(".edge { stroke: #90a4ae; fill: none; }\n");
        out.push_str(".depends-on { stroke-dasharray: 6 3; }\n.uses { stroke-dasharray: 2 3; }\n");
        for (class, fill, stroke) in COLOURS {
            let _ = writeln!(
                out,
                ".{class} rect, .{class} polygon {{ fill: {fill}; stroke: {stroke}; }}"
            );
        }
        out.push_str("</style>\n");
        for (n, parent, _) in &nodes {
            if let Some(p) = parent {
                let (a, b) = (placed[*p], placed[*n]);
                let _ = writeln!(
                    out,
                    "<path class=\"edge\" d=\"M{:.1} {:.1} V{:.1} H{:.1} V{:.1}\"/>",
                    a.centre(),
                    a.y + BOX_H,
                    b.y - GAP_Y / 2.0,
                    b.centre(),
                    b.y
                );
            }
        }
        for (n, b) in self.depends_on_edges(&nodes) {
            let (from, (x, w, _, _)) = (placed[n], &breakers[b]);
            let _ = writeln!(
                out,
                "<path class=\"edge depends-on\" d=\"M{:.1} {:.1} L{:.1} {:.1}\"><title>depends on</title></path>",
                from.centre(),
                from.y + BOX_H,
                x + w / 2.0,
                by
            );
        }
        for (n, to) in self.uses_edges(&nodes) {
            let end = match to {
                Used::Node(m) => (placed[m].centre(), placed[m].y + BOX_H / 2.0),
                Used::Breaker(b) => match breakers.get(b) {
                    Some((x, w, _, _)) => (x + w / 2.0, by),
                    None => continue,
                },
            };
            let from = placed[n];
            let _ = writeln!(
                out,
                "<path class=\"edge uses\" d=\"M{:.1} {:.1} L{:.1} {:.1}\"><title>uses</title></path>",
                from.centre(),
                from.y + BOX_H / 2.0,
                end.0,
                end.1
            );
        }
        for (n, _, node) in &nodes {
            let p = placed[*n];
            let kind = match node.shape {
                Shape::Worker => "worker",
                Shape::Supervisor => "supervisor",
                Shape::Dynamic | Shape::Pool => "many",
            };
            let state = node
                .live
                .map(|l| format!(" {}", l.class()))
                .unwrap_or_default();
            let line = node.line();
            let _ = writeln!(
                out,
                "<g class=\"node {kind}{state}\" data-path=\"{}\"><title>{}</title>",
                xml(&paths[*n]),
                xml(&line)
            );
            let rx = if node.shape == Shape::Worker {
                12.0
            } else {
                2.0
            };
            if matches!(node.shape, Shape::Dynamic | Shape::Pool) {
                // A stack: the template stands for many.
                let _ = writeln!(
                    out,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{BOX_H}\" rx=\"2\"/>",
                    p.x + 4.0,
                    p.y - 4.0,
                    p.w
                );
            }
            let _ = writeln!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{BOX_H}\" rx=\"{rx}\"/>",
                p.x, p.y, p.w
            );
            let _ = writeln!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n</g>",
                p.x + PAD_X,
                p.y + BOX_H / 2.0 + 4.0,
                xml(&line)
            );
        }
        for (b, (x, w, line, class)) in breakers.iter().enumerate() {
            let class = class.map(|c| format!(" {c}")).unwrap_or_default();
            let (name, _) = &self.breakers[b];
            let (l, r, m) = (*x, x + w, by + BOX_H / 2.0);
            let _ = writeln!(
                out,
                "<g class=\"node breaker{class}\" data-breaker=\"{}\"><title>{}</title>\n\
                 <polygon points=\"{:.1},{m:.1} {:.1},{by:.1} {:.1},{by:.1} {:.1},{m:.1} {:.1},{:.1} {:.1},{:.1}\"/>\n\
                 <text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n</g>",
                xml(name),
                xml(line),
                l,
                l + 8.0,
                r - 8.0,
                r,
                r - 8.0,
                by + BOX_H,
                l + 8.0,
                by + BOX_H,
                l + PAD_X,
                m + 4.0,
                xml(line)
            );
        }
        out.push_str("</svg>\n");
        out
    }
}

/// Each node's path from the root (`app/api/db`), in the chart's numbering.
pub(super) fn paths(nodes: &[(usize, Option<usize>, &Drawn)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(nodes.len());
    for (_, parent, node) in nodes {
        let path = match parent {
            Some(p) => format!("{}/{}", out[*p], node.id),
            None => node.id.clone(),
        };
        out.push(path);
    }
    out
}

/// Text as SVG character data or an attribute value.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::{Drawn, Shape};
    use super::*;

    fn node(id: String, children: Vec<Drawn>) -> Drawn {
        Drawn {
            label: id.clone(),
            shape: if children.is_empty() {
                Shape::Worker
            } else {
                Shape::Supervisor
            },
            live: None,
            depends_on: Vec::new(),
            id,
            uses: Vec::new(),
            crash: None,
            children,
        }
    }

    /// A tree of `n` nodes from `shape`: each node after the root hangs from an earlier one,
    /// chosen by the next number (so chains, stars and everything between come up), with ids
    /// of random lengths.
    fn tree(n: usize, shape: &[(u16, u8)]) -> Drawn {
        let mut parents = vec![usize::MAX];
        let mut ids = vec!["root".to_string()];
        for i in 1..n {
            let (pick, len) = shape[i % shape.len()];
            parents.push(pick as usize % i);
            ids.push(format!("{i}{}", "x".repeat(len as usize % 24)));
        }
        let mut kids = vec![Vec::new(); n];
        for (c, &p) in parents.iter().enumerate().skip(1) {
            kids[p].push(c);
        }
        // Built from the last node back: every child is made before its parent.
        let mut made: Vec<Option<Drawn>> = (0..n).map(|_| None).collect();
        for at in (0..n).rev() {
            let children = kids[at].iter().filter_map(|&c| made[c].take()).collect();
            made[at] = Some(node(ids[at].clone(), children));
        }
        made[0].take().expect("the root")
    }

    fn no_overlaps(root: &Drawn) {
        let placed = layout(root);
        // Boxes of one level, left to right: each ends before the next begins.
        let mut levels: std::collections::BTreeMap<i64, Vec<Placed>> = Default::default();
        for p in &placed {
            levels.entry(p.y as i64).or_default().push(*p);
        }
        for row in levels.values_mut() {
            row.sort_by(|a, b| a.x.total_cmp(&b.x));
            for pair in row.windows(2) {
                assert!(
                    !pair[0].overlaps(&pair[1]),
                    "{:?} overlaps {:?}",
                    pair[0],
                    pair[1]
                );
            }
        }
        // A parent is centred over its first and last child (children come in order).
        let mut ends: Vec<Option<(f64, f64)>> = vec![None; placed.len()];
        for c in &placed {
            if let Some(p) = c.parent {
                let first = ends[p].map_or(c.centre(), |(f, _)| f);
                ends[p] = Some((first, c.centre()));
            }
        }
        for (p, e) in placed.iter().zip(&ends) {
            if let Some((first, last)) = e {
                let mid = (first + last) / 2.0;
                assert!(
                    (p.centre() - mid).abs() < 0.01,
                    "{p:?} not centred over {e:?}"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        // A laid-out tree of 1 to 10,000 nodes has no two boxes overlapping.
        #[test]
        fn no_two_boxes_overlap(
            n in 1usize..10_000,
            shape in proptest::collection::vec((any::<u16>(), any::<u8>()), 1..64),
        ) {
            no_overlaps(&tree(n, &shape));
        }
    }

    #[test]
    fn a_single_node_and_a_long_chain_lay_out() {
        no_overlaps(&tree(1, &[(0, 3)]));
        // A star: every node hangs from the root.
        no_overlaps(&tree(10_000, &[(0, 2)]));
        // A deep tree: each node hangs from the one numbered a little before it.
        no_overlaps(&tree(2_000, &[(u16::MAX, 2)]));
    }
}
