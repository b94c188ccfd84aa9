//! Payment-form links, exact to the byte: an insta snapshot reviewed in pull requests.

use qiwi_wallet::{Amount, FormField, PaymentForm};

fn amount(text: &str) -> Amount {
    text.parse().unwrap()
}

#[test]
fn form_links_are_exactly_what_qiwi_documents() {
    let links = [
        PaymentForm::new(99)
            .account("+79991112233")
            .amount(amount("10.50"))
            .comment("за обед & кофе")
            .blocked(FormField::Sum)
            .blocked(FormField::Account)
            .build(),
        PaymentForm::new(99).amount(amount("0.05")).build(),
        PaymentForm::new(31652)
            .account("2200000000000004")
            .amount(amount("1000"))
            .build(),
    ];
    let links: Vec<String> = links.into_iter().map(Result::unwrap).collect();
    insta::assert_snapshot!(links.join("\n"));
}
