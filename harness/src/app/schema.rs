//! `badgateway schema result|scenario`: print a JSON Schema (how `schemas/` is regenerated).

use crate::cli::reports::{SchemaArgs, SchemaKind};
use crate::exit::Exit;

pub(super) fn schema(args: &SchemaArgs) -> Exit {
    crate::out!(
        "{}",
        match args.which {
            SchemaKind::Result => crate::schema::result(),
            SchemaKind::Scenario => crate::schema::scenario(),
        }
    );
    Exit::Passed
}
