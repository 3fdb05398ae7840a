//! The PIN prompt in headless Chromium, driven through real DOM events: keys, clicks,
//! paste, focus.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use pinauth::backend::{Backend, BackendConfig, BackendHost, LocalTransport};
use pinauth::client::{AuthState::*, Client, ClientConfig};
use pinauth::platform::{random_bytes, OsRng};
use pinauth::protocol::Bytes;
use pinauth::tokens::{AccessStorage, StorageChoice};
use pinauth::web::{
    platform, prompt_pin, DateClock, PromptMode, PromptOptions, PromptOutcome, PromptSlot,
    WebCryptoKeys,
};
use pinauth::{ErrorCode, Result};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, KeyboardEvent, KeyboardEventInit};

wasm_bindgen_test_configure!(run_in_browser);

type WebClient = Client<WebCryptoKeys, LocalTransport>;
type Pending = Rc<RefCell<Option<Result<PromptOutcome>>>>;

const ANN: &str = "ann@example.com";
const PASSWORD: &str = "correct horse battery";
const PIN: &str = "730519";

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn dialog_host() -> Option<Element> {
    document().query_selector("[data-pinauth-prompt]").unwrap()
}

/// An element inside the open prompt's shadow root.
fn find(selector: &str) -> HtmlElement {
    let root = dialog_host()
        .expect("the prompt is open")
        .shadow_root()
        .expect("an open shadow root");
    root.query_selector(selector)
        .unwrap()
        .expect(selector)
        .dyn_into()
        .unwrap()
}

fn input() -> HtmlInputElement {
    find("input").dyn_into().unwrap()
}

fn text(selector: &str) -> String {
    find(selector).text_content().unwrap_or_default()
}

fn key(target: &HtmlElement, key: &str, shift: bool) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_composed(true);
    init.set_shift_key(shift);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

/// Types digits and keys into the focused PIN field, one keydown each.
fn type_keys(keys: &[&str]) {
    let field: HtmlElement = input().into();
    for k in keys {
        key(&field, k, false);
    }
}

fn type_pin(pin: &str) {
    let keys: Vec<String> = pin.chars().map(String::from).collect();
    type_keys(&keys.iter().map(String::as_str).collect::<Vec<_>>());
}

fn filled_cells() -> usize {
    let root = dialog_host().unwrap().shadow_root().unwrap();
    root.query_selector_all(".cell.filled").unwrap().length() as usize
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Waits (up to 10 s) until `condition` holds.
async fn until(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..400 {
        if condition() {
            return;
        }
        sleep(25).await;
    }
    panic!("timed out waiting for: {what}");
}

fn fresh_app_id() -> String {
    let id: Bytes<8> = random_bytes(&OsRng).unwrap();
    format!("p{}", id.to_base64url().replace(['-', '_'], "x"))
}

/// A client (a page load) of `app_id` over `host`, its PIN session in localStorage.
async fn client_in(host: &Rc<BackendHost>, app_id: &str) -> Rc<WebClient> {
    let config = ClientConfig {
        app_id: app_id.to_owned(),
        ..ClientConfig::default()
    };
    let platform = platform(
        StorageChoice::Local,
        AccessStorage::Memory,
        LocalTransport::new(host.clone()),
    );
    Rc::new(Client::create(config, platform).await.unwrap())
}

fn backend(config: BackendConfig) -> Rc<BackendHost> {
    let backend = Backend::new(config, Box::new(DateClock), Box::new(OsRng)).unwrap();
    Rc::new(BackendHost::in_memory(backend))
}

/// A signed-in client whose device has the PIN `PIN`, its backend and app id.
async fn enrolled(config: BackendConfig) -> (Rc<WebClient>, Rc<BackendHost>, String) {
    let host = backend(config);
    let app_id = fresh_app_id();
    let client = client_in(&host, &app_id).await;
    client.register(ANN, PASSWORD).await.unwrap();
    client.login(ANN, PASSWORD).await.unwrap();
    client.set_pin(PIN).await.unwrap();
    (client, host, app_id)
}

/// Opens the prompt and waits for it to show; its result lands in the returned slot.
/// Dialogs left by an earlier failed test are removed first.
async fn open(client: &Rc<WebClient>, options: PromptOptions) -> Pending {
    while let Some(stale) = dialog_host() {
        stale.remove();
    }
    let pending: Pending = Rc::default();
    let slot = pending.clone();
    let client = client.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let result = prompt_pin(&client, options, PromptSlot::default()).await;
        *slot.borrow_mut() = Some(result);
    });
    until("the dialog to open", || {
        dialog_host().is_some() || pending.borrow().is_some()
    })
    .await;
    pending
}

async fn settled(pending: &Pending) -> Result<PromptOutcome> {
    until("the prompt to settle", || pending.borrow().is_some()).await;
    pending.borrow_mut().take().unwrap()
}

/// A button outside the dialog, focused, to check that focus comes back.
fn focused_opener() -> HtmlElement {
    let button: HtmlElement = document()
        .create_element("button")
        .unwrap()
        .dyn_into()
        .unwrap();
    button.set_text_content(Some("Open"));
    document().body().unwrap().append_child(&button).unwrap();
    button.focus().unwrap();
    button
}

fn focus_is(element: &HtmlElement) -> bool {
    document()
        .active_element()
        .is_some_and(|a| a.is_same_node(Some(element)))
}

#[wasm_bindgen_test]
async fn setup_refuses_a_weak_pin_then_a_mismatch_then_sets_the_pin() {
    let host = backend(BackendConfig::default().with_cheap_password_hashing());
    let client = client_in(&host, &fresh_app_id()).await;
    client.register(ANN, PASSWORD).await.unwrap();
    client.login(ANN, PASSWORD).await.unwrap();
    let opener = focused_opener();
    let pending = open(&client, PromptOptions::default()).await;

    let dialog = find("[role=dialog]");
    assert_eq!(dialog.get_attribute("aria-modal").as_deref(), Some("true"));
    assert_eq!(text("h2"), "Create a PIN");
    assert!(
        find(".dialog").shadow_root().is_none() && dialog_host().unwrap().shadow_root().is_some()
    );
    assert_eq!(
        input().get_attribute("inputmode").as_deref(),
        Some("numeric")
    );
    assert_eq!(
        input().get_attribute("autocomplete").as_deref(),
        Some("off")
    );
    assert!(
        focus_is(&dialog_host().unwrap().dyn_into().unwrap()),
        "focus moved into the dialog"
    );

    type_pin("123456");
    assert_eq!(
        text("[role=alert]"),
        "Too easy to guess: a sequence.",
        "checked while typing"
    );
    type_keys(&["Enter"]);
    assert_eq!(
        text(".step"),
        "Choose a PIN of 6 digits for this device.",
        "still on the first step"
    );
    assert_eq!(filled_cells(), 0);

    type_pin(PIN);
    type_keys(&["Enter"]);
    assert_eq!(text(".step"), "Enter the same PIN again.");
    type_pin("730591");
    type_keys(&["Enter"]);
    assert_eq!(
        text("[role=alert]"),
        "The PINs do not match. Choose your PIN again."
    );
    assert_eq!(text(".step"), "Choose a PIN of 6 digits for this device.");

    // The keypad, with a correction through its delete key.
    for k in ["7", "3", "0", "5", "1", "8", "delete", "9", "submit"] {
        find(&format!("[data-key='{k}']")).click();
    }
    type_pin(PIN);
    find("[data-action=submit]").click();
    assert_eq!(settled(&pending).await, Ok(PromptOutcome::Done));
    assert_eq!(client.state(), SignedIn);
    assert!(dialog_host().is_none(), "nothing is left in the DOM");
    assert!(focus_is(&opener), "focus went back to the opener");
    opener.remove();
}

#[wasm_bindgen_test]
async fn a_wrong_pin_keeps_the_dialog_with_the_attempts_left_then_unlocks() {
    let (_, host, app_id) = enrolled(BackendConfig::default().with_cheap_password_hashing()).await;
    let unlock_client = client_in(&host, &app_id).await; // a reload
    assert_eq!(unlock_client.state(), PinRequired);
    let pending = open(&unlock_client, PromptOptions::default()).await;
    assert_eq!(text("h2"), "Enter your PIN");
    type_pin("111119");
    type_keys(&["Enter", "Enter"]); // a double submit is ignored
    until("the answer", || text("[role=alert]").contains("attempts")).await;
    assert_eq!(text("[role=alert]"), "Wrong PIN. 4 attempts left.");
    assert_eq!(input().value(), "", "the digits are cleared");
    assert!(pending.borrow().is_none(), "the dialog stays open");

    type_pin(PIN);
    type_keys(&["Enter"]);
    assert!(
        !find(".progress").hidden(),
        "progress shows while the proof is computed"
    );
    assert_eq!(text("[role=status]"), "Checking…", "and is heard");
    assert_eq!(settled(&pending).await, Ok(PromptOutcome::Done));
    assert_eq!(unlock_client.state(), SignedIn);
}

#[wasm_bindgen_test]
async fn lockout_closes_the_dialog_with_the_error() {
    let (client, _, _) = enrolled(BackendConfig::default().with_cheap_password_hashing()).await;
    let pending = open(
        &client,
        PromptOptions {
            mode: PromptMode::Reauth,
            ..PromptOptions::default()
        },
    )
    .await;
    for expected in [
        "Wrong PIN. 4 attempts left.",
        "Wrong PIN. 3 attempts left.",
        "Wrong PIN. 2 attempts left.",
        "Wrong PIN. 1 attempt left before this device is locked.",
    ] {
        type_pin("111119");
        type_keys(&["Enter"]);
        until(expected, || text("[role=alert]") == expected).await;
        assert!(pending.borrow().is_none(), "the dialog stays open");
    }
    type_pin("111119");
    type_keys(&["Enter"]);
    let error = settled(&pending).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::DeviceLocked);
    assert!(dialog_host().is_none());
    assert_eq!(client.state(), SignedOut);
}

#[wasm_bindgen_test]
async fn escape_cancels_and_gives_focus_back() {
    let (client, _, _) = enrolled(BackendConfig::default().with_cheap_password_hashing()).await;
    let opener = focused_opener();
    let pending = open(
        &client,
        PromptOptions {
            mode: PromptMode::Reauth,
            ..PromptOptions::default()
        },
    )
    .await;
    type_pin("73");
    type_keys(&["Escape"]);
    assert_eq!(
        settled(&pending).await.unwrap_err().code(),
        ErrorCode::Cancelled
    );
    assert!(dialog_host().is_none());
    assert!(focus_is(&opener));

    // The Cancel button and a click on the backdrop cancel too.
    let pending = open(
        &client,
        PromptOptions {
            mode: PromptMode::Reauth,
            ..PromptOptions::default()
        },
    )
    .await;
    find("[data-action=cancel]").click();
    assert_eq!(
        settled(&pending).await.unwrap_err().code(),
        ErrorCode::Cancelled
    );
    let pending = open(
        &client,
        PromptOptions {
            mode: PromptMode::Reauth,
            ..PromptOptions::default()
        },
    )
    .await;
    find(".backdrop").click();
    assert_eq!(
        settled(&pending).await.unwrap_err().code(),
        ErrorCode::Cancelled
    );
    assert!(dialog_host().is_none());
    opener.remove();
}

#[wasm_bindgen_test]
async fn paste_backspace_and_the_show_toggle_edit_the_pin() {
    let (client, _, _) = enrolled(BackendConfig::default().with_cheap_password_hashing()).await;
    let pending = open(
        &client,
        PromptOptions {
            mode: PromptMode::Reauth,
            ..PromptOptions::default()
        },
    )
    .await;
    let data = web_sys::DataTransfer::new().unwrap();
    data.set_data("text", " 73 05-19 ").unwrap();
    let init = web_sys::ClipboardEventInit::new();
    init.set_clipboard_data(Some(&data));
    init.set_bubbles(true);
    init.set_cancelable(true);
    let paste = web_sys::ClipboardEvent::new_with_event_init_dict("paste", &init).unwrap();
    input().dispatch_event(&paste).unwrap();
    assert_eq!(input().value(), PIN, "digits only");
    assert_eq!(filled_cells(), 6);
    assert_eq!(text(".cell"), "•", "masked");

    find(".toggle").click();
    assert_eq!(text(".toggle"), "Hide PIN");
    assert_eq!(text(".cell"), "7", "shown");
    type_keys(&["Backspace", "Backspace"]);
    assert_eq!(filled_cells(), 4);
    type_keys(&["1", "9", "Enter"]);
    match settled(&pending).await {
        Ok(PromptOutcome::Reauth(token)) => assert!(token.expires_at > 0),
        other => panic!("{other:?}"),
    }
}

#[wasm_bindgen_test]
async fn tab_and_shift_tab_stay_inside_the_dialog() {
    let (client, _, _) = enrolled(BackendConfig::default().with_cheap_password_hashing()).await;
    let pending = open(
        &client,
        PromptOptions {
            mode: PromptMode::Reauth,
            ..PromptOptions::default()
        },
    )
    .await;
    let root = dialog_host().unwrap().shadow_root().unwrap();
    let active = || root.active_element().unwrap();
    assert!(
        active().is_same_node(Some(&input())),
        "the PIN field has focus"
    );
    key(&input().into(), "Tab", true);
    let last = find("[data-action=submit]");
    assert!(
        active().is_same_node(Some(&last)),
        "Shift+Tab from the first control wraps to the last"
    );
    key(&last, "Tab", false);
    assert!(
        active().is_same_node(Some(&input())),
        "Tab from the last wraps to the first"
    );
    type_keys(&["Escape"]);
    let _ = settled(&pending).await;
}

#[wasm_bindgen_test]
async fn change_mode_takes_current_new_and_confirmation() {
    let (client, _, _) = enrolled(BackendConfig::default().with_cheap_password_hashing()).await;
    let container: HtmlElement = document()
        .create_element("section")
        .unwrap()
        .dyn_into()
        .unwrap();
    document().body().unwrap().append_child(&container).unwrap();
    let mut strings = pinauth::web::PromptStrings::default();
    assert!(strings.set("changeTitle", "Nouveau code".to_owned()));
    assert!(!strings.set("noSuchString", String::new()));
    let options = PromptOptions {
        mode: PromptMode::Change,
        strings,
        container: Some(container.clone().into()),
        ..PromptOptions::default()
    };
    let pending = open(&client, options).await;
    assert!(
        container
            .query_selector("[data-pinauth-prompt]")
            .unwrap()
            .is_some(),
        "mounted in the container"
    );
    assert_eq!(text("h2"), "Nouveau code");
    assert_eq!(text(".step"), "Enter your current PIN.");
    type_pin(PIN);
    type_keys(&["Enter"]);
    // The current PIN again is refused as the new one, on the spot, and the step stays.
    type_pin(PIN);
    assert_eq!(
        text(".message"),
        "That is your current PIN. Choose a different one."
    );
    type_keys(&["Enter"]);
    assert_eq!(text(".step"), "Choose a PIN of 6 digits for this device.");
    assert_eq!(filled_cells(), 0);
    type_pin("281946");
    type_keys(&["Enter"]);
    type_pin("281946");
    type_keys(&["Enter"]);
    assert_eq!(settled(&pending).await, Ok(PromptOutcome::Done));
    assert_eq!(
        client.reauthenticate(PIN).await.unwrap_err().code(),
        ErrorCode::InvalidPin
    );
    assert!(client.reauthenticate("281946").await.is_ok());
    container.remove();
}

#[wasm_bindgen_test]
async fn a_signed_out_client_is_refused_without_a_dialog() {
    let host = backend(BackendConfig::default().with_cheap_password_hashing());
    let client = client_in(&host, &fresh_app_id()).await;
    let result = prompt_pin(&client, PromptOptions::default(), PromptSlot::default()).await;
    assert_eq!(result.unwrap_err().code(), ErrorCode::NotSignedIn);
    assert!(dialog_host().is_none());
}

#[wasm_bindgen_test]
async fn a_logout_elsewhere_closes_a_waiting_prompt() {
    let (_, host, app_id) = enrolled(BackendConfig::default().with_cheap_password_hashing()).await;
    let client = client_in(&host, &app_id).await;
    assert_eq!(client.state(), PinRequired);
    let pending = open(&client, PromptOptions::default()).await;
    type_pin("73");
    // Another tab logs out: the shared PIN session disappears from localStorage.
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage
        .remove_item(&format!("pinauth:{app_id}:v1:pinSession"))
        .unwrap();
    client.refresh();
    assert_eq!(
        settled(&pending).await.unwrap_err().code(),
        ErrorCode::NotSignedIn
    );
    assert!(dialog_host().is_none());
}

#[wasm_bindgen_test]
async fn while_a_pin_is_checked_it_is_out_of_the_page_and_cancel_waits_for_the_answer() {
    let (client, _, _) = enrolled(BackendConfig::default().with_cheap_password_hashing()).await;
    let pending = open(
        &client,
        PromptOptions {
            mode: PromptMode::Reauth,
            ..PromptOptions::default()
        },
    )
    .await;
    // "Show PIN" on: the digits show while typed, but not once the PIN is sent.
    find("button.toggle").click();
    type_pin(PIN);
    assert_eq!(text(".entry-area"), PIN);
    type_keys(&["Enter"]);
    assert_eq!(
        input().value(),
        "",
        "the PIN left the input when it was sent"
    );
    assert_eq!(text(".entry-area"), "••••••");
    find("button.toggle").click();
    assert_eq!(text(".entry-area"), "••••••");
    assert!(find("[data-action=cancel]")
        .dyn_into::<web_sys::HtmlButtonElement>()
        .unwrap()
        .disabled());
    type_keys(&["Escape"]);
    find(".backdrop").click();
    match settled(&pending).await {
        Ok(PromptOutcome::Reauth(token)) => assert!(token.expires_at > 0),
        other => panic!("the re-auth token was lost: {other:?}"),
    }
}

fn reauth() -> PromptOptions {
    PromptOptions {
        mode: PromptMode::Reauth,
        ..PromptOptions::default()
    }
}

#[wasm_bindgen_test]
async fn a_second_prompt_of_the_same_client_is_refused_and_the_first_carries_on() {
    let (client, host, app_id) =
        enrolled(BackendConfig::default().with_cheap_password_hashing()).await;
    let opener = focused_opener();
    let pending = open(&client, reauth()).await;
    type_pin("73");
    // A double click: the second call fails at once, whatever its mode, without a dialog.
    for options in [reauth(), PromptOptions::default()] {
        let second = prompt_pin(&client, options, PromptSlot::default()).await;
        assert_eq!(second.unwrap_err().code(), ErrorCode::PromptOpen);
    }
    let hosts = document()
        .query_selector_all("[data-pinauth-prompt]")
        .unwrap();
    assert_eq!(hosts.length(), 1, "one dialog");
    assert!(
        dialog_host()
            .unwrap()
            .shadow_root()
            .unwrap()
            .active_element()
            .is_some_and(|a| a.is_same_node(Some(&input()))),
        "focus stays on the first dialog's PIN field"
    );
    assert_eq!(filled_cells(), 2, "the first dialog keeps its digits");

    // Another client (another PinAuth) is not held back: its call runs (and, being
    // signed in in auto mode, resolves at once without a dialog).
    let other = client_in(&host, &app_id).await;
    assert_eq!(other.state(), PinRequired);
    other.login_with_pin(PIN).await.unwrap();
    assert_eq!(
        prompt_pin(&other, PromptOptions::default(), PromptSlot::default()).await,
        Ok(PromptOutcome::Done)
    );

    type_pin(&PIN[2..]);
    type_keys(&["Enter"]);
    assert!(matches!(
        settled(&pending).await,
        Ok(PromptOutcome::Reauth(_))
    ));
    assert!(dialog_host().is_none());
    assert!(focus_is(&opener), "focus went back to the opener");

    // Once closed, the client can open a prompt again.
    let pending = open(&client, reauth()).await;
    assert!(dialog_host().is_some());
    type_keys(&["Escape"]);
    assert_eq!(
        settled(&pending).await.unwrap_err().code(),
        ErrorCode::Cancelled
    );
    opener.remove();
}

#[wasm_bindgen_test]
async fn focus_stays_inside_the_dialog_while_a_pin_is_checked() {
    let (client, _, _) = enrolled(BackendConfig::default().with_cheap_password_hashing()).await;
    let pending = open(&client, reauth()).await;
    let host: HtmlElement = dialog_host().unwrap().dyn_into().unwrap();
    let root = host.shadow_root().unwrap();
    let busy = || !find(".progress").hidden();
    // Chromium keeps reporting a focused button that was disabled as the active element,
    // though it takes no keys: inside means on an element that can have focus.
    let inside = || {
        focus_is(&host)
            && root.active_element().is_some_and(|a| {
                !a.dyn_ref::<web_sys::HtmlButtonElement>()
                    .is_some_and(|b| b.disabled())
            })
    };

    // Submitted with the focused Continue button, which is disabled while busy.
    type_pin("111119");
    let submit = find("[data-action=submit]");
    submit.focus().unwrap();
    submit.click();
    assert!(busy());
    assert!(inside(), "focus is inside the dialog as the check starts");
    assert!(
        root.active_element()
            .is_some_and(|a| a.is_same_node(Some(&input()))),
        "on the PIN field"
    );
    assert!(input().read_only(), "which takes no digits meanwhile");
    let mut samples = 0;
    while busy() {
        assert!(inside(), "focus stays inside the dialog while busy");
        samples += 1;
        sleep(2).await;
    }
    assert!(samples > 0);
    until("the answer", || text("[role=alert]").contains("attempts")).await;
    assert!(
        root.active_element()
            .is_some_and(|a| a.is_same_node(Some(&input()))),
        "back on the PIN field after a wrong PIN"
    );

    // The keypad's submit key; Shift+Tab from the PIN field goes to the last enabled control.
    type_pin(PIN);
    let key_submit = find("[data-key=submit]");
    key_submit.focus().unwrap();
    key_submit.click();
    assert!(busy() && inside());
    key(&input(), "Tab", true);
    assert!(
        root.active_element()
            .is_some_and(|a| a.is_same_node(Some(&find(".toggle")))),
        "Shift+Tab while busy wraps to the show toggle, the last enabled control"
    );
    assert!(matches!(
        settled(&pending).await,
        Ok(PromptOutcome::Reauth(_))
    ));
}
