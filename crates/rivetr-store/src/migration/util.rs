//! Small builders shared by the migrations.

use sea_orm_migration::prelude::*;

/// A UUID primary key column.
pub(super) fn pk_uuid<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .uuid()
        .not_null()
        .primary_key()
        .to_owned()
}

/// A foreign key from `table.column` to `parent.id` whose rows go when the
/// parent goes.
pub(super) fn cascade<T, C, P, I>(
    table: T,
    column: C,
    parent: P,
    parent_id: I,
) -> ForeignKeyCreateStatement
where
    T: IntoIden + Clone + 'static,
    C: IntoIden + Clone + 'static,
    P: IntoIden + Clone + 'static,
    I: IntoIden + Clone + 'static,
{
    ForeignKey::create()
        .from(table, column)
        .to(parent, parent_id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// An index named after its table and columns.
pub(super) fn index<T, C>(table: T, columns: &[C]) -> IndexCreateStatement
where
    T: IntoIden + Clone,
    C: IntoIden + Clone,
{
    let table = table.into_iden();
    let mut name = table.to_string();
    let mut statement = Index::create();
    for column in columns {
        let column = column.clone().into_iden();
        name.push('_');
        name.push_str(&column.to_string());
        statement.col(column);
    }
    statement
        .name(format!("{name}_idx"))
        .table(table)
        .to_owned()
}

/// A unique index named after its table and columns.
pub(super) fn unique_index<T, C>(table: T, columns: &[C]) -> IndexCreateStatement
where
    T: IntoIden + Clone,
    C: IntoIden + Clone,
{
    index(table, columns).unique().to_owned()
}
