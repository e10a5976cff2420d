//! Tokens to a syntax tree that keeps every span. Only the shape is checked here (syntax errors
//! stop at the first); what names and values mean is `check`'s business, which reports all.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{braced, bracketed, parenthesized, Attribute, Ident, Token, Type, Visibility};

/// `attrs vis Name(params): node`
pub(crate) struct TreeAst {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub params: Vec<Param>,
    pub root: NodeAst,
    /// `breakers { name: breaker(..), .. }` after the root, if written.
    pub breakers: Option<Breakers>,
}

/// The tree's `breakers { .. }` section.
pub(crate) struct Breakers {
    pub items: Vec<(Ident, TokenStream)>,
}

pub(crate) struct Param {
    pub name: Ident,
    pub ty: Type,
}

/// `attrs id: kind(args) [options] { children }`, every part but the kind optional.
pub(crate) struct NodeAst {
    pub attrs: Vec<Attribute>,
    pub id: Option<Ident>,
    /// `worker`, `from_worker`, `one_for_one`, `one_for_all`, `rest_for_one`, `dynamic`.
    pub kind: Ident,
    /// What stands in the parentheses after the kind, if they are there.
    pub args: Option<Args>,
    pub options: Option<Options>,
    pub children: Option<Children>,
}

pub(crate) struct Args {
    pub span: Span,
    pub tokens: TokenStream,
}

pub(crate) struct Options {
    pub span: Span,
    pub items: Vec<OptionAst>,
}

/// `key` or `key = value`; the value is kept as tokens until `check` knows what it must be.
pub(crate) struct OptionAst {
    pub key: Ident,
    pub value: Option<TokenStream>,
}

pub(crate) struct Children {
    pub span: Span,
    pub nodes: Vec<NodeAst>,
    /// Syntax errors of children, each skipped up to the next `,`: the others are still parsed
    /// and checked, so one slip does not hide the rest of the tree's mistakes.
    pub errors: Vec<syn::Error>,
}

impl Parse for TreeAst {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let name: Ident = input.call(Ident::parse_any)?;
        let mut params = Vec::new();
        if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            let list = Punctuated::<Param, Token![,]>::parse_terminated(&content)?;
            params = list.into_iter().collect();
        }
        input.parse::<Token![:]>().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected `:` and the root supervisor after the tree name, as in `App: one_for_one { .. }`",
            )
        })?;
        let root = NodeAst::parse_body(input, Vec::new(), None)?;
        let breakers = if input.peek(Ident::peek_any) {
            let keyword = input.call(Ident::parse_any)?;
            if keyword != "breakers" {
                return Err(syn::Error::new(
                    keyword.span(),
                    "expected `breakers { .. }` or the end of the tree; one tree per macro call",
                ));
            }
            let content;
            braced!(content in input);
            let mut items = Vec::new();
            while !content.is_empty() {
                let name = content.call(Ident::parse_any)?;
                content.parse::<Token![:]>().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        format!("expected `:` after the breaker name `{name}`, as in `{name}: breaker(failure_threshold = 5)`"),
                    )
                })?;
                let mut value = TokenStream::new();
                while !content.is_empty() && !content.peek(Token![,]) {
                    let tt: TokenTree = content.parse()?;
                    value.extend([tt]);
                }
                if !content.is_empty() {
                    content.parse::<Token![,]>()?;
                }
                items.push((name, value));
            }
            Some(Breakers { items })
        } else {
            None
        };
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the tree; one tree per macro call"));
        }
        Ok(TreeAst {
            attrs,
            vis,
            name,
            params,
            root,
            breakers,
        })
    }
}

impl Parse for Param {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name: Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        let ty: Type = input.parse()?;
        Ok(Param { name, ty })
    }
}

impl NodeAst {
    /// A child: `id: body`, or, in a dynamic supervisor, a bare template `body`.
    fn parse_child(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let id = if input.peek2(Token![:]) && !input.peek2(Token![::]) {
            let id = input.call(Ident::parse_any)?;
            input.parse::<Token![:]>()?;
            Some(id)
        } else {
            None
        };
        Self::parse_body(input, attrs, id)
    }

    fn parse_body(
        input: ParseStream<'_>,
        attrs: Vec<Attribute>,
        id: Option<Ident>,
    ) -> syn::Result<Self> {
        let kind: Ident = input.call(Ident::parse_any).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a node: `worker(..)`, `from_worker(..)`, `one_for_one { .. }`, `one_for_all { .. }`, `rest_for_one { .. }` or `dynamic { .. }`",
            )
        })?;
        let args = if input.peek(syn::token::Paren) {
            let content;
            let paren = parenthesized!(content in input);
            Some(Args {
                span: paren.span.join(),
                tokens: content.parse()?,
            })
        } else {
            None
        };
        let options = if input.peek(syn::token::Bracket) {
            let content;
            let bracket = bracketed!(content in input);
            let list = Punctuated::<OptionAst, Token![,]>::parse_terminated(&content)?;
            Some(Options {
                span: bracket.span.join(),
                items: list.into_iter().collect(),
            })
        } else {
            None
        };
        let children = if input.peek(syn::token::Brace) {
            let content;
            let brace = braced!(content in input);
            let mut nodes = Vec::new();
            let mut errors = Vec::new();
            while !content.is_empty() {
                let node = match NodeAst::parse_child(&content) {
                    Ok(node) => node,
                    Err(e) => {
                        errors.push(e);
                        skip_past_comma(&content)?;
                        continue;
                    }
                };
                if content.is_empty() {
                    nodes.push(node);
                    break;
                }
                if let Err(e) = content.parse::<Token![,]>() {
                    // `db worker(run)`: a bare word, then another: the `:` after the id is missing.
                    let bare = node.id.is_none()
                        && node.args.is_none()
                        && node.options.is_none()
                        && node.children.is_none();
                    if bare && content.peek(syn::Ident) {
                        let id = &node.kind;
                        errors.push(syn::Error::new(
                            id.span(),
                            format!(
                                "expected `:` after the child id `{id}`, as in `{id}: worker(..)`"
                            ),
                        ));
                        skip_past_comma(&content)?;
                        continue;
                    }
                    // A missing `,`: the next child starts here.
                    errors.push(syn::Error::new(e.span(), "expected `,` between children"));
                }
                nodes.push(node);
            }
            Some(Children {
                span: brace.span.join(),
                nodes,
                errors,
            })
        } else {
            None
        };
        Ok(NodeAst {
            attrs,
            id,
            kind,
            args,
            options,
            children,
        })
    }

    /// The span that stands for the whole node in errors about it.
    pub(crate) fn span(&self) -> Span {
        self.id.as_ref().map_or(self.kind.span(), Ident::span)
    }
}

impl Parse for OptionAst {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = input.call(Ident::parse_any)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let tokens = value_tokens(input)?;
            if tokens.is_empty() {
                return Err(syn::Error::new(
                    key.span(),
                    format!("`{key} =` needs a value"),
                ));
            }
            Some(tokens)
        } else {
            None
        };
        Ok(OptionAst { key, value })
    }
}

/// The tokens of one option's value, up to the comma that ends it. A value is a type
/// (`HashMap<String, u64>`), an expression (`pick::<A, B>`, `|m: &Msg| m.key`) or a word of the
/// grammar (`5s`, `exponential(10ms, 1s)`); a comma inside a type's `<..>` is the type's, so the
/// value's extent is what parses as a type, else as an expression, that a comma or the end
/// follows; failing both, the tokens up to the next comma, for `check` to explain.
fn value_tokens(input: ParseStream<'_>) -> syn::Result<TokenStream> {
    let ends = |fork: &syn::parse::ParseBuffer<'_>| fork.is_empty() || fork.peek(Token![,]);
    let left =
        |fork: &syn::parse::ParseBuffer<'_>| fork.cursor().token_stream().into_iter().count();
    let as_type = input.fork();
    let as_expr = input.fork();
    let extent = if as_type.parse::<Type>().is_ok() && ends(&as_type) {
        Some(left(&as_type))
    } else if as_expr.parse::<syn::Expr>().is_ok() && ends(&as_expr) {
        Some(left(&as_expr))
    } else {
        None
    };
    let mut tokens = TokenStream::new();
    let mut remaining = left(&input.fork());
    while !input.is_empty() {
        let done = match extent {
            Some(rest) => remaining == rest,
            None => input.peek(Token![,]),
        };
        if done {
            break;
        }
        let tt: TokenTree = input.parse()?;
        tokens.extend([tt]);
        remaining -= 1;
    }
    Ok(tokens)
}

/// The first token of a stream, for spans.
/// Whether `tokens` name `name` anywhere, in groups too.
pub(crate) fn mentions(tokens: &TokenStream, name: &Ident) -> bool {
    tokens.clone().into_iter().any(|tt| match tt {
        TokenTree::Ident(i) => i == *name,
        TokenTree::Group(g) => mentions(&g.stream(), name),
        _ => false,
    })
}

pub(crate) fn first_span(tokens: &TokenStream) -> Option<Span> {
    tokens.clone().into_iter().next().map(|t| t.span())
}

/// A span covering a whole token run (its first token's where joining is not possible).
pub(crate) fn tokens_span(tokens: &TokenStream) -> Span {
    let mut iter = tokens.clone().into_iter();
    let first = iter.next().map_or_else(Span::call_site, |t| t.span());
    let last = iter.last().map(|t| t.span());
    last.and_then(|l| first.join(l)).unwrap_or(first)
}

/// Whether a token run is a single parenthesised group (used for `exponential(..)` and the like).
pub(crate) fn as_call(tokens: &TokenStream) -> Option<(Ident, TokenStream, Span)> {
    let mut iter = tokens.clone().into_iter();
    let name = match iter.next()? {
        TokenTree::Ident(i) => i,
        _ => return None,
    };
    let group = match iter.next()? {
        TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => g,
        _ => return None,
    };
    if iter.next().is_some() {
        return None;
    }
    Some((name, group.stream(), group.span()))
}

/// Skips the tokens of a child that does not parse, up to and past the next `,` of its list.
fn skip_past_comma(input: ParseStream<'_>) -> syn::Result<()> {
    input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            rest = next;
            if matches!(&tt, proc_macro2::TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
        }
        Ok(((), rest))
    })
}
