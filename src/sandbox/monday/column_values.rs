//! The `ColumnValue` interface and its implementations for the column types we
//! seed (`... on StatusValue { label index }` and friends), with the real
//! `text` and `value` formats.

use std::sync::Arc;

use async_graphql::{ID, Interface, Object};

use super::inputs::{ColumnType, DateScalar, JsonScalar, Kind};
use super::store::{BoardMeta, ItemRec, user_name};
use super::types::ColumnObj;
use super::values::{self, Cell, ColumnKind, Val, iso};

/// One cell of one item, resolved lazily from the item's snapshot.
pub struct Cv {
    meta: Arc<BoardMeta>,
    item: Arc<ItemRec>,
    col: usize,
}

impl Cv {
    fn cell(&self) -> Option<&Cell> {
        self.item.cell(self.col)
    }
    fn val(&self) -> Option<&Val> {
        self.cell().map(|c| &c.val)
    }
    fn id(&self) -> ID {
        ID(self.meta.columns[self.col].id.clone())
    }
    fn column(&self) -> ColumnObj {
        ColumnObj(self.meta.columns[self.col].clone())
    }
    fn kind(&self) -> ColumnType {
        ColumnType::from_name(self.meta.columns[self.col].kind.api_name())
    }
    fn text(&self) -> Option<String> {
        let labels = &self.meta.columns[self.col].labels;
        Some(
            self.val()
                .map(|v| values::text(v, labels, &user_name))
                .unwrap_or_default(),
        )
    }
    fn value(&self) -> Option<JsonScalar> {
        self.cell()
            .map(|c| JsonScalar::Encoded(values::api_value_text(c)))
    }
    fn updated_at(&self) -> Option<DateScalar> {
        self.cell().map(|c| DateScalar(iso(c.changed_at)))
    }
}

macro_rules! column_value_type {
    ($ty:ident, $name:literal { $($extra:tt)* }) => {
        pub struct $ty(pub Cv);

        #[Object(name = $name, rename_fields = "snake_case", rename_args = "snake_case")]
        impl $ty {
            async fn id(&self) -> ID {
                self.0.id()
            }
            async fn column(&self) -> ColumnObj {
                self.0.column()
            }
            async fn is_leaf(&self) -> bool {
                true
            }
            async fn text(&self) -> Option<String> {
                self.0.text()
            }
            #[graphql(name = "type")]
            async fn kind(&self) -> ColumnType {
                self.0.kind()
            }
            async fn value(&self) -> Option<JsonScalar> {
                self.0.value()
            }
            $($extra)*
        }
    };
}

column_value_type!(TextValue, "TextValue" {});

column_value_type!(LongTextValue, "LongTextValue" {
    async fn updated_at(&self) -> Option<DateScalar> {
        self.0.updated_at()
    }
});

column_value_type!(EmailValue, "EmailValue" {
    async fn updated_at(&self) -> Option<DateScalar> {
        self.0.updated_at()
    }
    async fn email(&self) -> Option<String> {
        match self.0.val() {
            Some(Val::Email { email, .. }) => Some(email.to_string()),
            _ => None,
        }
    }
    async fn label(&self) -> Option<String> {
        match self.0.val() {
            Some(Val::Email { text, .. }) => Some(text.to_string()),
            _ => None,
        }
    }
});

column_value_type!(PhoneValue, "PhoneValue" {
    async fn updated_at(&self) -> Option<DateScalar> {
        self.0.updated_at()
    }
    async fn phone(&self) -> Option<String> {
        match self.0.val() {
            Some(Val::Phone { phone, .. }) => Some(phone.to_string()),
            _ => None,
        }
    }
    async fn country_short_name(&self) -> Option<String> {
        match self.0.val() {
            Some(Val::Phone { country, .. }) if !country.is_empty() => Some(country.to_string()),
            _ => None,
        }
    }
});

column_value_type!(StatusValue, "StatusValue" {
    async fn updated_at(&self) -> Option<DateScalar> {
        self.0.updated_at()
    }
    async fn index(&self) -> Option<i32> {
        match self.0.val() {
            Some(Val::Status(i)) => Some(i32::from(*i)),
            _ => None,
        }
    }
    async fn label(&self) -> Option<String> {
        self.0.val().and_then(|_| self.0.text())
    }
    async fn is_done(&self) -> Option<bool> {
        let labels = &self.0.meta.columns[self.0.col].labels;
        match self.0.val() {
            Some(Val::Status(i)) => Some(labels.iter().any(|l| l.index == *i && l.done)),
            _ => Some(false),
        }
    }
    async fn update_id(&self) -> Option<ID> {
        None
    }
});

column_value_type!(DateValue, "DateValue" {
    async fn updated_at(&self) -> Option<DateScalar> {
        self.0.updated_at()
    }
    async fn date(&self) -> Option<String> {
        match self.0.val() {
            Some(Val::Date { date, .. }) => Some(date.format("%Y-%m-%d").to_string()),
            _ => None,
        }
    }
    async fn time(&self) -> Option<String> {
        match self.0.val() {
            Some(Val::Date { time: Some(t), .. }) => Some(t.format("%H:%M:%S").to_string()),
            _ => None,
        }
    }
    async fn icon(&self) -> Option<String> {
        None
    }
});

column_value_type!(NumbersValue, "NumbersValue" {
    async fn number(&self) -> Option<f64> {
        match self.0.val() {
            Some(Val::Number(n)) => Some(*n),
            _ => None,
        }
    }
    async fn symbol(&self) -> Option<String> {
        None
    }
});

pub struct PeopleEntity(u64);

#[Object(rename_fields = "snake_case")]
impl PeopleEntity {
    async fn id(&self) -> ID {
        ID(self.0.to_string())
    }
    async fn kind(&self) -> Option<Kind> {
        Some(Kind::Person)
    }
}

column_value_type!(PeopleValue, "PeopleValue" {
    async fn updated_at(&self) -> Option<DateScalar> {
        self.0.updated_at()
    }
    async fn persons_and_teams(&self) -> Option<Vec<PeopleEntity>> {
        match self.0.val() {
            Some(Val::People(ids)) => Some(ids.iter().map(|i| PeopleEntity(*i)).collect()),
            _ => None,
        }
    }
});

#[derive(Interface)]
#[graphql(
    name = "ColumnValue",
    rename_fields = "snake_case",
    field(name = "column", ty = "ColumnObj"),
    field(name = "id", ty = "ID"),
    field(name = "is_leaf", ty = "bool"),
    field(name = "text", ty = "Option<String>"),
    field(name = "type", method = "kind", ty = "ColumnType"),
    field(name = "value", ty = "Option<JsonScalar>")
)]
pub enum ColumnValue {
    Text(TextValue),
    LongText(LongTextValue),
    Email(EmailValue),
    Phone(PhoneValue),
    Status(StatusValue),
    Date(DateValue),
    Numbers(NumbersValue),
    People(PeopleValue),
}

pub fn column_value(meta: Arc<BoardMeta>, item: Arc<ItemRec>, col: usize) -> ColumnValue {
    let kind = meta.columns[col].kind;
    let cv = Cv { meta, item, col };
    match kind {
        ColumnKind::LongText => ColumnValue::LongText(LongTextValue(cv)),
        ColumnKind::Email => ColumnValue::Email(EmailValue(cv)),
        ColumnKind::Phone => ColumnValue::Phone(PhoneValue(cv)),
        ColumnKind::Status => ColumnValue::Status(StatusValue(cv)),
        ColumnKind::Date => ColumnValue::Date(DateValue(cv)),
        ColumnKind::Numbers => ColumnValue::Numbers(NumbersValue(cv)),
        ColumnKind::People => ColumnValue::People(PeopleValue(cv)),
        ColumnKind::Text | ColumnKind::Name => ColumnValue::Text(TextValue(cv)),
    }
}
