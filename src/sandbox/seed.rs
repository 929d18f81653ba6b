//! Deterministic seed data: the same seed always gives the same people, so
//! Monday leads and Calendly invitees can share email addresses.

/// SplitMix64: tiny, fast and fully deterministic across platforms, which is
/// all seeding needs (not for anything secret).
#[derive(Clone, Debug)]
pub struct SeedRng(u64);

impl SeedRng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// A generator for one stream of the data set (leads, events, …), so
    /// changing one size does not reshuffle the others.
    pub fn stream(seed: u64, name: &str) -> Self {
        let salt = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x1000_0000_01b3)
        });
        Self::new(seed ^ salt)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const FIRST: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Margaret",
    "Dennis",
    "Radia",
    "Tim",
    "Hedy",
    "Linus",
    "Katherine",
    "John",
    "Annie",
    "Guido",
    "Sophie",
    "Bjarne",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Torvalds",
    "Johnson",
    "McCarthy",
    "Easley",
    "Rossum",
    "Wilson",
    "Stroustrup",
];
const COMPANY: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Vandelay",
    "Pied Piper",
    "Aperture",
    "Massive Dynamic",
];

/// A made-up person with a unique, stable email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub company: String,
    pub phone: String,
}

impl Person {
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// Person number `i` of the seed's population. Leads and invitees both draw
/// from this population, which is how their emails come to match.
pub fn person(seed: u64, i: u64) -> Person {
    let mut rng = SeedRng::new(seed.wrapping_mul(1_000_003).wrapping_add(i));
    let first = *rng.pick(FIRST);
    let last = *rng.pick(LAST);
    let company = *rng.pick(COMPANY);
    let domain = company.to_lowercase().replace(' ', "");
    Person {
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        email: format!(
            "{}.{}{}@{}.example",
            first.to_lowercase(),
            last.to_lowercase().replace('-', ""),
            i,
            domain
        ),
        company: company.to_owned(),
        phone: format!("+1-555-{:03}-{:04}", rng.below(1000), rng.below(10_000)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_people() {
        assert_eq!(person(7, 42), person(7, 42));
        assert_ne!(person(7, 42).email, person(8, 42).email);
        let mut a = SeedRng::stream(1, "leads");
        let mut b = SeedRng::stream(1, "leads");
        assert_eq!(a.next_u64(), b.next_u64());
    }
}
