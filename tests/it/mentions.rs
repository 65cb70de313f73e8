//! Mentions in briefing text link to their terms: which words become links,
//! and to where, read from the parsed page.

use crate::support::Site;

const PROFILES: &[(&str, &str)] = &[
    (
        "content/people/recep-tayyip-erdogan.md",
        "---\nname: Recep Tayyip Erdoğan\naliases: [Erdoğan]\nrole: President of Turkey\n---\n",
    ),
    (
        "content/people/antony-blinken.md",
        "---\nname: Antony Blinken\naliases: [Blinken]\nrole: U.S. Secretary of State\n---\n",
    ),
    (
        "content/countries/united-states.md",
        "---\nname: United States\naliases: [US, U.S.]\n---\n",
    ),
    ("content/countries/iran.md", "---\nname: Iran\n---\n"),
    (
        "content/topics/islamic-state.md",
        "---\nname: Islamic State\naliases: [Islamic State group, ISIS]\n---\n",
    ),
];

const BODY: &str = "\
## Blinken in the heading

Erdogan met Blinken's team. Later Erdoğan spoke again, and so did Blinken.

The Islamic State group and the Iranian delegation; Iran was absent. Let us go, said the US envoy.

Code `Iran` and [a link about Iran](https://example.org/) and ![Iran map](map.png).

```text
Iran in code
```
";

fn site(config: &str) -> Site {
    let front = "---\ntitle: Talks\ndate: 2021-06-28\npeople: [Recep Tayyip Erdogan, Antony Blinken]\ncountries: [Iran, United States]\ntopics: [Islamic State]\n---\n";
    let site = Site::tiny(&[("talks.md", &format!("{front}{BODY}"))]);
    site.write(
        "dossier.yaml",
        &format!("title: T\nbase_url: https://t.example.org/\n{config}"),
    );
    for (path, text) in PROFILES {
        site.write(path, text);
    }
    site
}

/// (link text, href, class) of every mention link in the body.
fn mentions(site: &Site) -> Vec<(String, String, String)> {
    site.build();
    let page = site.output().page("/briefings/talks/");
    page.select(".briefing-body a.mention")
        .into_iter()
        .map(|a| {
            (
                a.text().collect::<String>(),
                a.value().attr("href").unwrap_or_default().to_string(),
                a.value().attr("class").unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn texts(links: &[(String, String, String)]) -> Vec<&str> {
    links.iter().map(|(t, _, _)| t.as_str()).collect()
}

#[test]
fn first_mentions_link_to_their_terms_outside_headings_code_and_links() {
    let site = site("");
    let links = mentions(&site);
    // Erdogan (without its diacritic) and Blinken's (possessive) link once each;
    // the heading's Blinken, the code, the existing link and the alt text do not.
    assert_eq!(
        texts(&links),
        ["Erdogan", "Blinken", "Islamic State group", "Iran", "US"],
        "{links:?}"
    );
    let (_, href, class) = &links[0];
    assert_eq!(href, "/people/recep-tayyip-erdogan/");
    assert_eq!(class, "mention mention-people");
    assert_eq!(links[2].1, "/topics/islamic-state/");
    let page = site.output().page("/briefings/talks/");
    let blinken = page.select(".briefing-body a.mention-people[href='/people/antony-blinken/']");
    assert_eq!(
        blinken[0].value().attr("title"),
        Some("U.S. Secretary of State"),
        "the role is the title"
    );
    // Nothing nested: no mention link inside another link.
    assert!(page.select(".briefing-body a a").is_empty());
}

#[test]
fn every_mention_links_with_mentions_all() {
    let site = site("mentions: all\n");
    let links = mentions(&site);
    assert_eq!(
        texts(&links),
        [
            "Erdogan",
            "Blinken",
            "Erdoğan",
            "Blinken",
            "Islamic State group",
            "Iran",
            "US"
        ],
        "{links:?}"
    );
}

#[test]
fn no_mention_links_with_mentions_none() {
    assert!(mentions(&site("mentions: none\n")).is_empty());
}

#[test]
fn untagged_terms_link_only_with_scope_all() {
    let site = site("");
    site.write(
        "content/briefings/other.md",
        "---\ntitle: Other\ndate: 2021-06-29\n---\nBlinken was in Iran.\n",
    );
    site.build();
    let page = site.output().page("/briefings/other/");
    assert!(page.select(".briefing-body a.mention").is_empty());
    site.write(
        "dossier.yaml",
        "title: T\nbase_url: https://t.example.org/\nmention_scope: all\n",
    );
    site.build();
    let page = site.output().page("/briefings/other/");
    let linked: Vec<String> = page
        .select(".briefing-body a.mention")
        .iter()
        .map(|a| a.text().collect())
        .collect();
    assert_eq!(linked, ["Blinken", "Iran"]);
}

#[test]
fn a_name_that_runs_into_a_longer_word_gives_way_to_a_shorter_one() {
    let front = "---\ntitle: Talks\ndate: 2021-06-28\npeople: [Kim Jong Un, Kim]\ntopics: [MeToo movement]\n---\n";
    let body = "Kim Jong Unification was the slogan. Kim Jong Un arrived, Kimberley did not; \
                the #MeToo wave and Kim.\n";
    let site = Site::tiny(&[("talks.md", &format!("{front}{body}"))]);
    site.write(
        "dossier.yaml",
        "title: T\nbase_url: https://t.example.org/\nmentions: all\n",
    );
    site.write(
        "content/topics/metoo-movement.md",
        "---\nname: MeToo movement\naliases: ['#MeToo']\n---\n",
    );
    let links = mentions(&site);
    // "Kim Jong Un" is not a whole word in "Unification", so the "Kim"
    // before it is the mention; "Kimberley" is no mention at all; an alias
    // that starts with a symbol matches too.
    assert_eq!(
        texts(&links),
        ["Kim", "Kim Jong Un", "#MeToo", "Kim"],
        "{links:?}"
    );
    assert_eq!(links[0].1, "/people/kim/");
    assert_eq!(links[1].1, "/people/kim-jong-un/");
    assert_eq!(links[2].1, "/topics/metoo-movement/");
}
