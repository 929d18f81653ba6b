//! Scalars, enums and input objects of the official schema that our subset
//! uses, named and typed exactly as in API 2026-10 (enums complete, so any
//! valid value parses and gets a Monday error rather than a validation one).

use async_graphql::{
    Enum, EnumType, InputObject, InputValueError, InputValueResult, Scalar, ScalarType, Value,
};
use serde_json::Value as Json;

use super::errors::SimError;
use super::query::{ItemsFilter, Rule, RuleGroup};

/// Monday's `JSON` scalar: served as a JSON-encoded string; accepted either
/// as such a string (what clients send) or as a literal object. `Encoded`
/// holds text already encoded, to skip building a document when serving.
#[derive(Clone, Debug)]
pub enum JsonScalar {
    Doc(Json),
    Encoded(String),
}

#[Scalar(name = "JSON")]
impl ScalarType for JsonScalar {
    fn parse(value: Value) -> InputValueResult<Self> {
        value
            .into_json()
            .map(JsonScalar::Doc)
            .map_err(|e| InputValueError::custom(e.to_string()))
    }

    fn to_value(&self) -> Value {
        match self {
            Self::Doc(doc) => Value::String(doc.to_string()),
            Self::Encoded(text) => Value::String(text.clone()),
        }
    }
}

impl JsonScalar {
    /// The document the client meant: a string is decoded when it is JSON.
    pub fn decoded(&self) -> Json {
        let text = match self {
            Self::Doc(Json::String(s)) | Self::Encoded(s) => s,
            Self::Doc(other) => return other.clone(),
        };
        serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.clone()))
    }

    /// `column_values`: must decode to an object of column id → value.
    pub fn object(&self) -> Result<serde_json::Map<String, Json>, SimError> {
        match self.decoded() {
            Json::Object(m) => Ok(m),
            Json::Null => Ok(serde_json::Map::new()),
            other => Err(SimError::InvalidArgument(format!(
                "column_values must be a JSON object, got {other}"
            ))),
        }
    }
}

/// `CompareValue`: a string, a number, or a list of them.
#[derive(Clone, Debug)]
pub struct CompareValue(pub Json);

#[Scalar(name = "CompareValue")]
impl ScalarType for CompareValue {
    fn parse(value: Value) -> InputValueResult<Self> {
        value
            .into_json()
            .map(CompareValue)
            .map_err(|e| InputValueError::custom(e.to_string()))
    }

    fn to_value(&self) -> Value {
        Value::from_json(self.0.clone()).unwrap_or_default()
    }
}

macro_rules! string_scalar {
    ($ty:ident, $name:literal) => {
        #[derive(Clone, Debug)]
        pub struct $ty(pub String);

        #[Scalar(name = $name)]
        impl ScalarType for $ty {
            fn parse(value: Value) -> InputValueResult<Self> {
                match value {
                    Value::String(s) => Ok($ty(s)),
                    other => Err(InputValueError::expected_type(other)),
                }
            }

            fn to_value(&self) -> Value {
                Value::String(self.0.clone())
            }
        }
    };
}

string_scalar!(DateScalar, "Date");
string_scalar!(IsoDateTime, "ISO8601DateTime");

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum BoardKind {
    Private,
    Public,
    Share,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum State {
    Active,
    All,
    Archived,
    Deleted,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum ColumnType {
    AutoNumber,
    BoardRelation,
    Button,
    Checkbox,
    ColorPicker,
    Country,
    CreationLog,
    Date,
    Dependency,
    Doc,
    Dropdown,
    Email,
    File,
    Formula,
    Group,
    Hour,
    Integration,
    ItemAssignees,
    ItemId,
    LastUpdated,
    Link,
    Location,
    LongText,
    Mirror,
    Numbers,
    People,
    Phone,
    Progress,
    Rating,
    Status,
    Tags,
    Team,
    Text,
    Timeline,
    TimeTracking,
    Vote,
    Week,
    WorldClock,
    Unsupported,
    Name,
    Person,
    DirectDoc,
    Subtasks,
}

impl ColumnType {
    pub fn name(self) -> &'static str {
        Self::items()
            .iter()
            .find(|i| i.value == self)
            .map_or("unsupported", |i| i.name)
    }

    pub fn from_name(name: &str) -> Self {
        Self::items()
            .iter()
            .find(|i| i.name == name)
            .map_or(Self::Unsupported, |i| i.value)
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum WebhookEventType {
    ChangeColumnValue,
    ChangeName,
    ChangeSpecificColumnValue,
    ChangeStatusColumnValue,
    ChangeSubitemColumnValue,
    ChangeSubitemName,
    CreateColumn,
    CreateItem,
    CreateSubitem,
    CreateSubitemUpdate,
    CreateUpdate,
    DeleteUpdate,
    EditUpdate,
    ItemArchived,
    ItemDeleted,
    ItemMovedToAnyGroup,
    ItemMovedToSpecificGroup,
    ItemRestored,
    MoveSubitem,
    SubitemArchived,
    SubitemDeleted,
}

impl WebhookEventType {
    pub fn name(self) -> &'static str {
        Self::items()
            .iter()
            .find(|i| i.value == self)
            .map_or("", |i| i.name)
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::items()
            .iter()
            .find(|i| i.name == name)
            .map(|i| i.value)
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum ItemsQueryOperator {
    Or,
    And,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum ItemsQueryRuleOperator {
    AnyOf,
    NotAnyOf,
    IsEmpty,
    IsNotEmpty,
    GreaterThan,
    GreaterThanOrEquals,
    LowerThan,
    LowerThanOrEqual,
    Between,
    NotContainsText,
    ContainsText,
    ContainsTerms,
    StartsWith,
    EndsWith,
    WithinTheNext,
    WithinTheLast,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum ItemsOrderByDirection {
    Asc,
    Desc,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum VersionKind {
    Current,
    Deprecated,
    Dev,
    Maintenance,
    #[graphql(name = "old__maintenance")]
    OldMaintenance,
    OldPreviousMaintenance,
    PreviousMaintenance,
    ReleaseCandidate,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum Kind {
    Agent,
    Person,
    Team,
}

#[derive(InputObject, Clone, Debug)]
#[graphql(rename_fields = "snake_case")]
pub struct ItemsQueryRule {
    pub column_id: async_graphql::ID,
    pub compare_value: CompareValue,
    pub compare_attribute: Option<String>,
    pub operator: Option<ItemsQueryRuleOperator>,
}

#[derive(InputObject, Clone, Debug)]
#[graphql(rename_fields = "snake_case")]
pub struct ItemsQueryGroup {
    pub rules: Option<Vec<ItemsQueryRule>>,
    pub groups: Option<Vec<ItemsQueryGroup>>,
    pub operator: Option<ItemsQueryOperator>,
}

#[derive(InputObject, Clone, Debug)]
#[graphql(rename_fields = "snake_case")]
pub struct ItemsQueryOrderBy {
    pub column_id: String,
    pub direction: Option<ItemsOrderByDirection>,
}

#[derive(InputObject, Clone, Debug)]
#[graphql(rename_fields = "snake_case")]
pub struct ItemsQuery {
    pub groups: Option<Vec<ItemsQueryGroup>>,
    pub ids: Option<Vec<async_graphql::ID>>,
    #[graphql(default_with = "Some(ItemsQueryOperator::And)")]
    pub operator: Option<ItemsQueryOperator>,
    pub order_by: Option<Vec<ItemsQueryOrderBy>>,
    pub rules: Option<Vec<ItemsQueryRule>>,
}

#[derive(InputObject, Clone, Debug)]
#[graphql(rename_fields = "snake_case")]
pub struct ItemsPageByColumnValuesQuery {
    pub column_id: String,
    pub column_values: Vec<Option<String>>,
}

fn rule(r: &ItemsQueryRule) -> Rule {
    let op = r.operator.unwrap_or(ItemsQueryRuleOperator::AnyOf);
    let operator = ItemsQueryRuleOperator::items()
        .iter()
        .find(|i| i.value == op)
        .map_or("any_of", |i| i.name)
        .to_owned();
    let compare = match &r.compare_value.0 {
        Json::Array(list) => list.clone(),
        other => vec![other.clone()],
    };
    Rule {
        column_id: r.column_id.to_string(),
        compare,
        operator,
    }
}

fn group(
    rules: &Option<Vec<ItemsQueryRule>>,
    groups: &Option<Vec<ItemsQueryGroup>>,
    op: Option<ItemsQueryOperator>,
) -> RuleGroup {
    RuleGroup {
        rules: rules.iter().flatten().map(rule).collect(),
        groups: groups
            .iter()
            .flatten()
            .map(|g| group(&g.rules, &g.groups, g.operator))
            .collect(),
        or: op == Some(ItemsQueryOperator::Or),
    }
}

impl ItemsQuery {
    pub fn filter(&self) -> Result<ItemsFilter, SimError> {
        let ids = match &self.ids {
            Some(ids) => Some(
                ids.iter()
                    .map(|i| {
                        i.parse::<u64>().map_err(|_| {
                            SimError::InvalidArgument(format!("Invalid item id {}", i.as_str()))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        Ok(ItemsFilter {
            root: group(&self.rules, &self.groups, self.operator),
            ids,
            order_by: self
                .order_by
                .iter()
                .flatten()
                .map(|o| {
                    (
                        o.column_id.clone(),
                        o.direction == Some(ItemsOrderByDirection::Desc),
                    )
                })
                .collect(),
            group: None,
        })
    }
}
