//! `#[derive(Room)]`: a type that names a room, formatted from its fields.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Fields, LitStr};

pub(crate) fn derive(input: TokenStream) -> TokenStream {
    match expand(input) {
        Ok(tokens) => tokens,
        Err(err) => err.to_compile_error(),
    }
}

fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "`#[derive(Room)]` works on structs",
        ));
    };
    let format = match input.attrs.iter().find(|a| a.path().is_ident("room")) {
        Some(attr) => attr.parse_args::<LitStr>()?,
        None => match &data.fields {
            Fields::Unnamed(f) if f.unnamed.len() == 1 => LitStr::new("{0}", Span::call_site()),
            _ => {
                return Err(syn::Error::new_spanned(
                    &input.ident,
                    "say how to name the room: `#[room(\"user:{id}\")]`",
                ));
            }
        },
    };
    let (rewritten, used) = rewrite(&format)?;
    let mut args = Vec::new();
    for name in used {
        let (arg, access) = match name.parse::<usize>() {
            Ok(i) => {
                let count = match &data.fields {
                    Fields::Unnamed(f) => f.unnamed.len(),
                    _ => 0,
                };
                if i >= count {
                    return Err(syn::Error::new_spanned(&format, format!("no field {i}")));
                }
                let index = syn::Index::from(i);
                (format_ident!("__f{}", i), quote!(self.#index))
            }
            Err(_) => {
                let exists = matches!(&data.fields, Fields::Named(f)
                    if f.named.iter().any(|x| x.ident.as_ref().is_some_and(|id| id == &name)));
                if !exists {
                    return Err(syn::Error::new_spanned(
                        &format,
                        format!("no field `{name}`"),
                    ));
                }
                let ident = format_ident!("{}", name);
                (ident.clone(), quote!(self.#ident))
            }
        };
        args.push(quote!(#arg = &#access));
    }
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let fmt = LitStr::new(&rewritten, format.span());
    Ok(quote! {
        const _: () = {
            impl #impl_generics #ident #ty_generics #where_clause {
                fn __sio_room_name(&self) -> ::std::string::String {
                    ::std::format!(#fmt, #(#args),*)
                }
            }
            impl #impl_generics ::sio_core::socketio::IntoRooms for #ident #ty_generics #where_clause {
                fn into_rooms(self) -> ::std::vec::Vec<::std::string::String> {
                    ::std::vec![self.__sio_room_name()]
                }
            }
            impl #impl_generics ::sio_core::socketio::IntoRooms for &#ident #ty_generics #where_clause {
                fn into_rooms(self) -> ::std::vec::Vec<::std::string::String> {
                    ::std::vec![self.__sio_room_name()]
                }
            }
        };
    })
}

/// Renames positional arguments `{0}` to `{__f0}` and lists the arguments used.
fn rewrite(format: &LitStr) -> syn::Result<(String, Vec<String>)> {
    let text = format.value();
    let mut out = String::new();
    let mut used: Vec<String> = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push_str("{{");
            }
            '{' => {
                let mut inner = String::new();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    inner.push(c);
                }
                let (name, spec) = match inner.split_once(':') {
                    Some((n, s)) => (n.to_owned(), format!(":{s}")),
                    None => (inner.clone(), String::new()),
                };
                if name.is_empty() {
                    return Err(syn::Error::new_spanned(
                        format,
                        "name the field in each `{}`: `{0}` or `{id}`",
                    ));
                }
                let arg = if name.chars().all(|c| c.is_ascii_digit()) {
                    format!("__f{name}")
                } else {
                    name.clone()
                };
                if !used.contains(&name) {
                    used.push(name);
                }
                out.push('{');
                out.push_str(&arg);
                out.push_str(&spec);
                out.push('}');
            }
            other => out.push(other),
        }
    }
    Ok((out, used))
}
