//! The in-page PIN prompt: a modal dialog in an open Shadow DOM root that runs the right
//! PIN flow for the client's state (setup, unlock, re-authentication, change).
//!
//! It works under a strict Content-Security-Policy (no inline styles, no `eval`: the
//! styles are a constructable stylesheet adopted by the shadow root), is operable by
//! keyboard alone, announces errors through a live region, traps focus while open and
//! gives it back when closed. The PIN lives in the input element only while it is typed;
//! the dialog is removed from the DOM when it closes.

use super::global_property;
use crate::client::{AuthState, Client, ListenerId};
use crate::error::{Error, ErrorCode, Result};
use crate::pin::PinRejection;
use crate::platform::{DeviceKeys, Transport};
use crate::protocol::json::decimal;
use crate::protocol::IssuedToken;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin as Pinned;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    ClipboardEvent, CssStyleSheet, Document, Element, Event, EventTarget, HtmlButtonElement,
    HtmlElement, HtmlInputElement, KeyboardEvent, ShadowRoot, ShadowRootInit, ShadowRootMode,
};
use zeroize::Zeroizing;

/// Defines [`PromptStrings`] from one table: field, JavaScript key, English default.
macro_rules! prompt_strings {
    ($($field:ident = $key:literal, $default:literal;)*) => {
        /// Every text the prompt shows, replaceable for translation. `{attempts}`,
        /// `{seconds}` and `{length}` are filled in.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct PromptStrings {
            $(#[doc = $default] pub $field: String,)*
        }

        impl Default for PromptStrings {
            fn default() -> Self {
                PromptStrings { $($field: $default.to_owned(),)* }
            }
        }

        impl PromptStrings {
            /// The JavaScript names of the strings.
            pub const KEYS: &'static [&'static str] = &[$($key,)*];

            /// The TypeScript declaration of the strings (`PromptStrings`), for the `.d.ts`.
            pub const TYPESCRIPT_DECLARATION: &'static str = concat!(
                "/** Every text of the PIN prompt; `{attempts}`, `{seconds}`, `{length}` are filled in. */\n",
                "export interface PromptStrings {\n",
                $("  /** Default: ", $default, " */\n  ", $key, ": string;\n",)*
                "}\n"
            );

            /// Replaces the string named `key` (a JavaScript name); false for an unknown key.
            pub fn set(&mut self, key: &str, value: String) -> bool {
                match key {
                    $($key => self.$field = value,)*
                    _ => return false,
                }
                true
            }
        }
    };
}

prompt_strings! {
    setup_title = "setupTitle", "Create a PIN";
    unlock_title = "unlockTitle", "Enter your PIN";
    reauth_title = "reauthTitle", "Confirm it's you";
    change_title = "changeTitle", "Change your PIN";
    new_pin_step = "newPinStep", "Choose a {length}-digit PIN for this device.";
    confirm_step = "confirmStep", "Enter the same PIN again.";
    current_pin_step = "currentPinStep", "Enter your current PIN.";
    unlock_step = "unlockStep", "Enter the PIN for this device.";
    reauth_step = "reauthStep", "Enter your PIN to continue.";
    pin_label = "pinLabel", "PIN";
    keypad_label = "keypadLabel", "Keypad";
    submit = "submit", "Continue";
    cancel = "cancel", "Cancel";
    delete = "delete", "Delete last digit";
    show = "show", "Show PIN";
    hide = "hide", "Hide PIN";
    checking = "checking", "Checking…";
    incomplete = "incomplete", "Enter all {length} digits.";
    mismatch = "mismatch", "The PINs do not match. Choose your PIN again.";
    wrong_pin = "wrongPin", "Wrong PIN. {attempts} attempts left.";
    last_attempt = "lastAttempt", "Wrong PIN. 1 attempt left before this device is locked.";
    rate_limited = "rateLimited", "Too many attempts. Try again in {seconds} seconds.";
    reason_repeated = "reasonRepeated", "Too easy to guess: repeated digits.";
    reason_sequence = "reasonSequence", "Too easy to guess: a sequence.";
    reason_common = "reasonCommon", "Too easy to guess: a common PIN.";
    reason_not_digits = "reasonNotDigits", "Use digits only.";
}

/// Which flow a signed-in user is prompted for; otherwise the state decides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PromptMode {
    /// `pinSetupRequired` → setup, `pinRequired` → unlock.
    #[default]
    Auto,
    /// `signedIn` → re-authentication, resolving with the re-auth token.
    Reauth,
    /// `signedIn` → change: current PIN, new PIN, confirmation.
    Change,
}

/// How a prompt is opened.
#[derive(Clone, Debug, Default)]
pub struct PromptOptions {
    /// The flow for a signed-in user.
    pub mode: PromptMode,
    /// Replaces the dialog's title.
    pub title: Option<String>,
    /// Replaces the first step's instruction.
    pub subtitle: Option<String>,
    /// Every other text.
    pub strings: PromptStrings,
    /// Where the dialog is mounted (default `document.body`).
    pub container: Option<Element>,
}

/// What a completed prompt gives back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptOutcome {
    /// The PIN was set, the device unlocked, or the PIN changed.
    Done,
    /// The re-authentication token.
    Reauth(IssuedToken),
}

/// What one step of a flow asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ask {
    /// The PIN the device has now.
    Current,
    /// A new PIN, checked against the policy while typed.
    New,
    /// The new PIN again.
    Confirm,
}

/// A flow: its steps, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Setup,
    Unlock,
    Reauth,
    Change,
}

impl Flow {
    fn steps(self) -> &'static [Ask] {
        match self {
            Flow::Setup => &[Ask::New, Ask::Confirm],
            Flow::Unlock | Flow::Reauth => &[Ask::Current],
            Flow::Change => &[Ask::Current, Ask::New, Ask::Confirm],
        }
    }
}

const STYLES: &str = r#"
:host { all: initial; }
.backdrop {
  --accent: var(--pinauth-accent, #2f5bea);
  --bg: var(--pinauth-bg, #ffffff);
  --fg: var(--pinauth-fg, #17191f);
  --radius: var(--pinauth-radius, 14px);
  --muted: color-mix(in srgb, var(--fg) 62%, var(--bg));
  --line: color-mix(in srgb, var(--fg) 18%, var(--bg));
  --danger: #c62828;
  position: fixed; inset: 0; z-index: 2147483000;
  display: flex; align-items: center; justify-content: center;
  background: rgb(10 12 20 / 0.55);
  font-family: var(--pinauth-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  color: var(--fg);
}
@media (prefers-color-scheme: dark) {
  .backdrop {
    --bg: var(--pinauth-bg, #1b1e27);
    --fg: var(--pinauth-fg, #eef0f6);
    --accent: var(--pinauth-accent, #7f9cff);
    --danger: #ff8a80;
  }
}
.dialog:focus { outline: none; }
.dialog {
  box-sizing: border-box; width: min(92vw, 360px); max-height: 96vh; overflow: auto;
  padding: 24px 22px 18px; border-radius: var(--radius);
  background: var(--bg); color: var(--fg);
  box-shadow: 0 24px 60px rgb(0 0 0 / 0.35);
  display: flex; flex-direction: column; gap: 14px;
}
h2 { margin: 0; font-size: 1.25rem; line-height: 1.3; font-weight: 650; text-align: center; }
.step { margin: 0; color: var(--muted); font-size: 0.95rem; text-align: center; }
.entry-area { position: relative; display: flex; justify-content: center; gap: 8px; border-radius: 10px; padding: 4px; }
.entry-area:focus-within { outline: 3px solid var(--accent); outline-offset: 2px; }
.cell {
  width: 40px; height: 48px; border-radius: 10px; border: 2px solid var(--line);
  display: flex; align-items: center; justify-content: center;
  font-size: 1.4rem; font-weight: 600; box-sizing: border-box;
}
.cell.filled { border-color: var(--accent); }
.entry {
  position: absolute; inset: 0; width: 100%; height: 100%; margin: 0; padding: 0;
  opacity: 0; border: 0; font-size: 16px; caret-color: transparent; cursor: text;
}
.message { min-height: 1.3em; margin: 0; text-align: center; font-size: 0.92rem; color: var(--danger); }
.message.info { color: var(--muted); }
.keypad { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; }
button {
  font: inherit; color: inherit; cursor: pointer; border-radius: 10px;
  border: 1px solid var(--line); background: transparent; min-height: 48px;
}
button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
button:disabled { opacity: 0.5; cursor: default; }
.key { font-size: 1.3rem; font-weight: 600; min-height: 52px; }
.key.action { font-size: 1rem; }
.primary { background: var(--accent); border-color: var(--accent); color: var(--bg); font-weight: 650; }
.actions { display: flex; gap: 8px; }
.actions button { flex: 1; }
.toggle { align-self: center; min-height: 36px; padding: 0 14px; font-size: 0.9rem; }
.progress { display: flex; align-items: center; justify-content: center; gap: 8px; color: var(--muted); font-size: 0.92rem; }
.progress[hidden] { display: none; }
.spinner { width: 16px; height: 16px; border-radius: 50%; border: 2px solid var(--line); border-top-color: var(--accent); animation: spin 0.8s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .spinner { animation: none; } }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
"#;

/// A single-assignment slot a future can wait on.
struct Outcome {
    value: RefCell<Option<Result<PromptOutcome>>>,
    waker: RefCell<Option<Waker>>,
}

impl Outcome {
    fn settle(&self, result: Result<PromptOutcome>) {
        let mut value = self.value.borrow_mut();
        if value.is_none() {
            *value = Some(result);
            if let Some(waker) = self.waker.borrow_mut().take() {
                waker.wake();
            }
        }
    }
}

/// Waits for an [`Outcome`].
struct Settled(Rc<Outcome>);

impl Future for Settled {
    type Output = Result<PromptOutcome>;
    fn poll(self: Pinned<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        match self.0.value.borrow_mut().take() {
            Some(result) => Poll::Ready(result),
            None => {
                *self.0.waker.borrow_mut() = Some(context.waker().clone());
                Poll::Pending
            }
        }
    }
}

thread_local! {
    /// The clients (by address) that have a prompt open.
    static OPEN: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// A client's claim to its one open prompt, given up when dropped.
struct OpenClaim(usize);

impl OpenClaim {
    /// Claims `client`'s prompt; `PROMPT_OPEN` while another prompt of it is open.
    fn take<C>(client: &Rc<C>) -> Result<OpenClaim> {
        // The address identifies the client: the claim lives in a prompt that holds the
        // client (or, before the prompt exists, next to a reference to it), so it cannot be
        // reused by another client meanwhile.
        let key = Rc::as_ptr(client) as usize;
        OPEN.with_borrow_mut(|open| {
            if open.contains(&key) {
                return Err(Error::new(ErrorCode::PromptOpen));
            }
            open.push(key);
            Ok(OpenClaim(key))
        })
    }
}

impl Drop for OpenClaim {
    fn drop(&mut self) {
        OPEN.with_borrow_mut(|open| open.retain(|key| *key != self.0));
    }
}

/// An event listener that is removed when dropped.
struct Listener {
    target: EventTarget,
    kind: &'static str,
    closure: Closure<dyn FnMut(Event)>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
    }
}

/// The dialog's elements.
struct View {
    host: Element,
    root: ShadowRoot,
    backdrop: HtmlElement,
    /// Focusable by script only (`tabindex="-1"`): holds focus while the PIN is checked.
    dialog: HtmlElement,
    title: Element,
    step: Element,
    cells: Vec<Element>,
    input: HtmlInputElement,
    toggle: HtmlButtonElement,
    message: Element,
    progress: HtmlElement,
    buttons: Vec<HtmlButtonElement>,
    previous_focus: Option<HtmlElement>,
}

/// A prompt while it is open.
struct Prompt<K: DeviceKeys, T: Transport> {
    client: Rc<Client<K, T>>,
    view: View,
    flow: Flow,
    step: usize,
    /// PINs entered in earlier steps of this flow.
    entered: Vec<Zeroizing<String>>,
    length: usize,
    busy: bool,
    masked: bool,
    options: PromptOptions,
    listeners: Vec<Listener>,
    /// Follows the client's state, to close when the session ends meanwhile.
    state_listener: Option<ListenerId>,
    outcome: Rc<Outcome>,
    /// Keeps a second prompt of the client from opening; dropped when this one closes.
    claim: Option<OpenClaim>,
}

fn dom_error() -> Error {
    Error::with_message(ErrorCode::Internal, "The PIN prompt could not be shown.")
}

fn document() -> Result<Document> {
    global_property::<Document>("document").ok_or_else(dom_error)
}

fn element(document: &Document, tag: &str, class: &str) -> Result<Element> {
    let element = document.create_element(tag).map_err(|_| dom_error())?;
    if !class.is_empty() {
        element.set_class_name(class);
    }
    Ok(element)
}

fn cast<T: JsCast>(element: Element) -> Result<T> {
    element.dyn_into::<T>().map_err(|_| dom_error())
}

fn append(parent: &Element, child: &Element) -> Result<()> {
    parent
        .append_child(child)
        .map(drop)
        .map_err(|_| dom_error())
}

fn set(element: &Element, name: &str, value: &str) -> Result<()> {
    element.set_attribute(name, value).map_err(|_| dom_error())
}

fn button(
    document: &Document,
    class: &str,
    text: &str,
    label: Option<&str>,
) -> Result<HtmlButtonElement> {
    let button: HtmlButtonElement = cast(element(document, "button", class)?)?;
    button.set_type("button");
    button.set_text_content(Some(text));
    if let Some(label) = label {
        set(&button, "aria-label", label)?;
    }
    Ok(button)
}

/// `template` with `{name}` replaced by `value` (through JavaScript's `replaceAll`, which
/// spares the module Rust's substring searcher; the replacement is digits, so no `$`
/// patterns).
fn fill(template: &str, name: &str, value: u64) -> String {
    js_sys::JsString::from(template)
        .replace_all(&["{", name, "}"].concat(), &decimal(value))
        .into()
}

impl View {
    /// Builds the dialog (hidden from nobody: an open shadow root) and mounts it.
    fn build(length: usize, strings: &PromptStrings, container: Option<&Element>) -> Result<View> {
        let document = document()?;
        let previous_focus = document
            .active_element()
            .and_then(|e| e.dyn_into::<HtmlElement>().ok());
        let host = element(&document, "div", "")?;
        set(&host, "data-pinauth-prompt", "")?;
        let root = host
            .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
            .map_err(|_| dom_error())?;
        let sheet = CssStyleSheet::new().map_err(|_| dom_error())?;
        sheet.replace_sync(STYLES).map_err(|_| dom_error())?;
        root.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));

        let backdrop = element(&document, "div", "backdrop")?;
        let dialog = element(&document, "div", "dialog")?;
        set(&dialog, "role", "dialog")?;
        set(&dialog, "aria-modal", "true")?;
        set(&dialog, "aria-labelledby", "pinauth-title")?;
        set(&dialog, "aria-describedby", "pinauth-step pinauth-message")?;
        set(&dialog, "tabindex", "-1")?;
        let title = element(&document, "h2", "")?;
        set(&title, "id", "pinauth-title")?;
        let step = element(&document, "p", "step")?;
        set(&step, "id", "pinauth-step")?;

        let area = element(&document, "div", "entry-area")?;
        let mut cells = Vec::with_capacity(length);
        for _ in 0..length {
            let cell = element(&document, "span", "cell")?;
            set(&cell, "aria-hidden", "true")?;
            append(&area, &cell)?;
            cells.push(cell);
        }
        let input: HtmlInputElement = cast(element(&document, "input", "entry")?)?;
        input.set_type("password");
        set(&input, "inputmode", "numeric")?;
        set(&input, "autocomplete", "off")?;
        set(&input, "pattern", "[0-9]*")?;
        set(&input, "maxlength", &decimal(length as u64))?;
        set(&input, "aria-label", &strings.pin_label)?;
        set(&input, "aria-describedby", "pinauth-step pinauth-message")?;
        set(&input, "spellcheck", "false")?;
        append(&area, &input)?;

        let toggle = button(&document, "toggle", &strings.show, None)?;
        set(&toggle, "aria-pressed", "false")?;
        let message = element(&document, "p", "message")?;
        set(&message, "id", "pinauth-message")?;
        set(&message, "role", "alert")?;
        set(&message, "aria-live", "assertive")?;
        let progress: HtmlElement = cast(element(&document, "div", "progress")?)?;
        set(&progress, "role", "status")?;
        progress.set_hidden(true);
        append(&progress, &element(&document, "span", "spinner")?)?;
        let checking = element(&document, "span", "")?;
        checking.set_text_content(Some(&strings.checking));
        append(&progress, &checking)?;

        let keypad = element(&document, "div", "keypad")?;
        set(&keypad, "role", "group")?;
        set(&keypad, "aria-label", &strings.keypad_label)?;
        let mut buttons = Vec::new();
        for key in ["1", "2", "3", "4", "5", "6", "7", "8", "9"] {
            let digit = button(&document, "key", key, None)?;
            set(&digit, "data-key", key)?;
            append(&keypad, &digit)?;
            buttons.push(digit);
        }
        let delete = button(&document, "key action", "⌫", Some(&strings.delete))?;
        set(&delete, "data-key", "delete")?;
        let zero = button(&document, "key", "0", None)?;
        set(&zero, "data-key", "0")?;
        let enter = button(&document, "key action", "✓", Some(&strings.submit))?;
        set(&enter, "data-key", "submit")?;
        for key in [&delete, &zero, &enter] {
            append(&keypad, key)?;
            buttons.push(key.clone());
        }
        let actions = element(&document, "div", "actions")?;
        let cancel = button(&document, "cancel", &strings.cancel, None)?;
        set(&cancel, "data-action", "cancel")?;
        let submit = button(&document, "primary submit", &strings.submit, None)?;
        set(&submit, "data-action", "submit")?;
        append(&actions, &cancel)?;
        append(&actions, &submit)?;
        buttons.push(cancel);
        buttons.push(submit);

        for child in [
            &title,
            &step,
            &area,
            toggle.as_ref(),
            &message,
            progress.as_ref(),
            &keypad,
            &actions,
        ] {
            append(&dialog, child)?;
        }
        append(&backdrop, &dialog)?;
        root.append_child(&backdrop).map_err(|_| dom_error())?;
        let parent = match container {
            Some(container) => container.clone(),
            None => document.body().map(Element::from).ok_or_else(dom_error)?,
        };
        append(&parent, &host)?;
        Ok(View {
            host,
            root,
            backdrop: cast(backdrop)?,
            dialog: cast(dialog)?,
            title,
            step,
            cells,
            input,
            toggle,
            message,
            progress,
            buttons,
            previous_focus,
        })
    }

    /// Every control that takes focus, in tab order.
    fn focusable(&self) -> Vec<HtmlElement> {
        let mut controls: Vec<HtmlElement> =
            vec![self.input.clone().into(), self.toggle.clone().into()];
        controls.extend(
            self.buttons
                .iter()
                .filter(|b| !b.disabled())
                .map(|b| b.clone().into()),
        );
        controls
    }

    /// Whether one of the enabled controls has focus.
    fn has_focus(&self) -> bool {
        let active = self.root.active_element();
        self.focusable()
            .iter()
            .any(|control| control.is_same_node(active.as_deref()))
    }

    /// Removes the dialog and gives focus back.
    fn close(&self) {
        self.input.set_value("");
        self.host.remove();
        if let Some(previous) = &self.previous_focus {
            let _ = previous.focus();
        }
    }
}

impl<K: DeviceKeys + 'static, T: Transport + 'static> Prompt<K, T> {
    fn strings(&self) -> &PromptStrings {
        &self.options.strings
    }

    fn ask(&self) -> Ask {
        self.flow
            .steps()
            .get(self.step)
            .copied()
            .unwrap_or(Ask::Current)
    }

    /// Shows the current step: title, instruction, empty cells.
    fn render_step(&mut self) {
        let strings = &self.options.strings;
        let title = self.options.title.clone().unwrap_or_else(|| {
            match self.flow {
                Flow::Setup => &strings.setup_title,
                Flow::Unlock => &strings.unlock_title,
                Flow::Reauth => &strings.reauth_title,
                Flow::Change => &strings.change_title,
            }
            .clone()
        });
        let instruction = match (self.step, &self.options.subtitle) {
            (0, Some(subtitle)) => subtitle.clone(),
            _ => match (self.flow, self.ask()) {
                (Flow::Unlock, _) => strings.unlock_step.clone(),
                (Flow::Reauth, _) => strings.reauth_step.clone(),
                (_, Ask::Current) => strings.current_pin_step.clone(),
                (_, Ask::New) => fill(&strings.new_pin_step, "length", self.length as u64),
                (_, Ask::Confirm) => strings.confirm_step.clone(),
            },
        };
        self.view.title.set_text_content(Some(&title));
        self.view.step.set_text_content(Some(&instruction));
        self.view.input.set_value("");
        self.render_cells();
        let _ = self.view.input.focus();
    }

    fn render_cells(&self) {
        let value = Zeroizing::new(self.view.input.value());
        let mut digits = value.chars();
        for cell in &self.view.cells {
            let shown = match digits.next() {
                Some(_) if self.masked => "•".to_owned(),
                Some(digit) => digit.to_string(),
                None => String::new(),
            };
            let class = if shown.is_empty() {
                "cell"
            } else {
                "cell filled"
            };
            cell.set_class_name(class);
            cell.set_text_content(Some(&shown));
        }
    }

    fn say(&self, text: &str, info: bool) {
        self.view
            .message
            .set_class_name(if info { "message info" } else { "message" });
        self.view.message.set_text_content(Some(text));
    }

    /// Keeps the input to at most `length` digits (typing, paste), then re-checks it;
    /// says "digits only" when something else was typed.
    fn on_input(&mut self) {
        let raw = Zeroizing::new(self.view.input.value());
        // Room for all of `raw` up front: collecting would grow the buffer, leaving copies.
        let mut digits = Zeroizing::new(String::with_capacity(raw.len()));
        digits.extend(raw.chars().filter(char::is_ascii_digit).take(self.length));
        if *digits != *raw {
            self.view.input.set_value(&digits);
        }
        self.render_cells();
        self.live_check(&digits);
        if !raw.chars().all(|c| c.is_ascii_digit()) {
            self.say(&self.strings().reason_not_digits, false);
        }
    }

    /// While a new PIN is typed: says why it is refused as soon as it is complete, and
    /// clears that as soon as it is edited.
    fn live_check(&self, digits: &str) {
        if self.ask() != Ask::New {
            return;
        }
        let rejection = (digits.len() == self.length)
            .then(|| self.client.pin_policy().rejection(digits))
            .flatten();
        match rejection {
            Some(rejection) => self.say(&self.reason_text(rejection), false),
            None => self.say("", true),
        }
    }

    fn reason_text(&self, rejection: PinRejection) -> String {
        let strings = self.strings();
        match rejection {
            PinRejection::TooShort | PinRejection::TooLong => {
                fill(&strings.incomplete, "length", self.length as u64)
            }
            PinRejection::NotDigits => strings.reason_not_digits.clone(),
            PinRejection::Repeated => strings.reason_repeated.clone(),
            PinRejection::Sequence => strings.reason_sequence.clone(),
            PinRejection::Common => strings.reason_common.clone(),
        }
    }

    /// Restarts the flow at its first step with a message (after a wrong PIN).
    fn restart(&mut self, message: &str) {
        self.set_busy(false);
        self.entered.clear();
        self.step = 0;
        self.render_step();
        self.say(message, false);
    }

    fn toggle_mask(&mut self) {
        self.masked = !self.masked;
        self.view
            .input
            .set_type(if self.masked { "password" } else { "text" });
        let strings = &self.options.strings;
        let label = if self.masked {
            &strings.show
        } else {
            &strings.hide
        };
        self.view.toggle.set_text_content(Some(label));
        let _ = set(
            &self.view.toggle,
            "aria-pressed",
            if self.masked { "false" } else { "true" },
        );
        self.render_cells();
    }

    fn set_busy(&mut self, busy: bool) {
        self.busy = busy;
        self.view.input.set_read_only(busy);
        self.view.progress.set_hidden(!busy);
        let _ = set(
            &self.view.backdrop,
            "aria-busy",
            if busy { "true" } else { "false" },
        );
        // Cancel too: once a PIN is sent, its answer decides the outcome (a cancel then
        // could hide a PIN that was set or a token that was issued).
        for button in &self.view.buttons {
            button.set_disabled(busy);
        }
        if !busy {
            let _ = self.view.input.focus();
        } else if !self.view.has_focus() {
            // The focused button was just disabled: keep focus inside the dialog.
            let _ = self.view.dialog.focus();
        }
    }

    /// Closes the dialog and settles the prompt.
    fn finish(&mut self, result: Result<PromptOutcome>) {
        self.entered.clear();
        self.listeners.clear();
        if let Some(id) = self.state_listener.take() {
            self.client.unsubscribe(id);
        }
        self.view.close();
        self.claim = None;
        self.outcome.settle(result);
    }

    /// Takes the entered digits for the current step. Returns the PINs for the client
    /// call when this was the last step, or `None` when the dialog stays on a step.
    fn advance(&mut self) -> Option<Vec<Zeroizing<String>>> {
        let digits = Zeroizing::new(self.view.input.value());
        if digits.len() != self.length {
            self.say(
                &fill(&self.strings().incomplete, "length", self.length as u64),
                false,
            );
            return None;
        }
        match self.ask() {
            Ask::New => {
                if let Some(rejection) = self.client.pin_policy().rejection(&digits) {
                    self.view.input.set_value("");
                    self.render_cells();
                    self.say(&self.reason_text(rejection), false);
                    return None;
                }
            }
            Ask::Confirm => {
                let matches = self.entered.last().is_some_and(|new| **new == *digits);
                if !matches {
                    let first_new = self
                        .flow
                        .steps()
                        .iter()
                        .position(|a| *a == Ask::New)
                        .unwrap_or(0);
                    self.entered.truncate(first_new);
                    self.step = first_new;
                    self.render_step();
                    self.say(&self.strings().mismatch.clone(), false);
                    return None;
                }
            }
            Ask::Current => {}
        }
        if self.ask() != Ask::Confirm {
            self.entered.push(digits);
        }
        self.step += 1;
        if self.step < self.flow.steps().len() {
            self.render_step();
            return None;
        }
        self.set_busy(true);
        Some(std::mem::take(&mut self.entered))
    }
}

/// An open prompt, shared by its event listeners (weakly) and its pending client call.
type Shared<K, T> = Rc<RefCell<Prompt<K, T>>>;

/// Runs the flow's client call with the entered PINs.
async fn call<K: DeviceKeys, T: Transport>(
    client: Rc<Client<K, T>>,
    flow: Flow,
    pins: Vec<Zeroizing<String>>,
) -> Result<PromptOutcome> {
    let first = pins.first().map(|p| p.as_str()).unwrap_or_default();
    match flow {
        Flow::Setup => client.set_pin(first).await.map(|()| PromptOutcome::Done),
        Flow::Unlock => client
            .login_with_pin(first)
            .await
            .map(|()| PromptOutcome::Done),
        Flow::Reauth => client
            .reauthenticate(first)
            .await
            .map(PromptOutcome::Reauth),
        Flow::Change => {
            let new = pins.get(1).map(|p| p.as_str()).unwrap_or_default();
            client
                .change_pin(first, new)
                .await
                .map(|()| PromptOutcome::Done)
        }
    }
}

fn submit<K: DeviceKeys + 'static, T: Transport + 'static>(shared: &Shared<K, T>) {
    let (client, flow, pins) = {
        let Ok(mut prompt) = shared.try_borrow_mut() else {
            return;
        };
        if prompt.busy {
            return;
        }
        match prompt.advance() {
            Some(pins) => (prompt.client.clone(), prompt.flow, pins),
            None => return,
        }
    };
    let shared = shared.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let result = call(client, flow, pins).await;
        let Ok(mut prompt) = shared.try_borrow_mut() else {
            return;
        };
        if prompt.outcome.value.borrow().is_some() || prompt.listeners.is_empty() {
            return; // cancelled meanwhile
        }
        match result {
            Err(error) if error.code() == ErrorCode::InvalidPin => {
                let strings = prompt.strings();
                let text = match error.attempts_remaining() {
                    Some(1) => strings.last_attempt.clone(),
                    Some(n) => fill(&strings.wrong_pin, "attempts", u64::from(n)),
                    None => error.message().to_owned(),
                };
                prompt.restart(&text);
            }
            Err(error) if error.code() == ErrorCode::RateLimited => {
                let text = fill(
                    &prompt.strings().rate_limited,
                    "seconds",
                    error.retry_after_seconds().unwrap_or(60),
                );
                prompt.restart(&text);
            }
            result => prompt.finish(result),
        }
    });
}

fn press<K: DeviceKeys + 'static, T: Transport + 'static>(shared: &Shared<K, T>, key: &str) {
    if key == "submit" {
        return submit(shared);
    }
    let Ok(mut prompt) = shared.try_borrow_mut() else {
        return;
    };
    if prompt.busy {
        return;
    }
    // Built in a buffer with room for the key, so that growing it leaves no copy behind.
    let current = Zeroizing::new(prompt.view.input.value());
    let mut value = Zeroizing::new(String::with_capacity(current.len() + key.len()));
    value.push_str(&current);
    match key {
        "delete" => {
            value.pop();
        }
        digit if value.len() < prompt.length => value.push_str(digit),
        _ => {}
    }
    prompt.view.input.set_value(&value);
    prompt.on_input();
    let _ = prompt.view.input.focus();
}

/// Closes the dialog with `CANCELLED`, unless a PIN is being checked: its answer decides.
fn cancel<K: DeviceKeys + 'static, T: Transport + 'static>(shared: &Shared<K, T>) {
    if let Ok(mut prompt) = shared.try_borrow_mut() {
        if !prompt.busy {
            prompt.finish(Err(Error::new(ErrorCode::Cancelled)));
        }
    }
}

/// Digits and Backspace edit the PIN (wherever focus is in the dialog), Enter in the
/// PIN field submits, Escape cancels, Tab and Shift+Tab cycle inside the dialog.
fn on_keydown<K: DeviceKeys + 'static, T: Transport + 'static>(
    shared: &Shared<K, T>,
    event: &KeyboardEvent,
) {
    let key = event.key();
    let modified = event.ctrl_key() || event.meta_key() || event.alt_key();
    match key.as_str() {
        digit if !modified && digit.len() == 1 && digit.bytes().all(|b| b.is_ascii_digit()) => {
            event.prevent_default();
            press(shared, digit);
        }
        "Backspace" if !modified => {
            event.prevent_default();
            press(shared, "delete");
        }
        "Escape" => {
            event.prevent_default();
            cancel(shared);
        }
        "Tab" => {
            let Ok(prompt) = shared.try_borrow() else {
                return;
            };
            let controls = prompt.view.focusable();
            let active = prompt.view.root.active_element();
            let at = |i: Option<&HtmlElement>| {
                i.zip(active.as_ref())
                    .is_some_and(|(c, a)| c.is_same_node(Some(a)))
            };
            // From outside the controls (e.g. the dialog itself, focused while busy) Tab
            // goes to the first control and Shift+Tab to the last.
            let elsewhere = !prompt.view.has_focus();
            let target = if event.shift_key() && (at(controls.first()) || elsewhere) {
                controls.last()
            } else if !event.shift_key() && (at(controls.last()) || elsewhere) {
                controls.first()
            } else {
                None
            };
            if let Some(target) = target {
                event.prevent_default();
                let _ = target.focus();
            }
        }
        "Enter" => {
            let from_input = event
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                .is_some();
            if from_input {
                event.prevent_default();
                submit(shared);
            }
        }
        _ => {}
    }
}

/// Whether `event` is on the backdrop itself, not inside the dialog.
fn on_backdrop<K: DeviceKeys, T: Transport>(shared: &Shared<K, T>, event: &Event) -> bool {
    shared.try_borrow().is_ok_and(|p| {
        event
            .target()
            .is_some_and(|t| JsValue::from(t) == JsValue::from(p.view.backdrop.clone()))
    })
}

/// Adds a listener whose handler gets the prompt while it is open.
fn listen<K: DeviceKeys + 'static, T: Transport + 'static>(
    shared: &Shared<K, T>,
    target: &EventTarget,
    kind: &'static str,
    handler: impl Fn(&Shared<K, T>, Event) + 'static,
) -> Result<Listener> {
    let weak: Weak<RefCell<Prompt<K, T>>> = Rc::downgrade(shared);
    let closure = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        if let Some(shared) = weak.upgrade() {
            handler(&shared, event);
        }
    });
    target
        .add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref())
        .map_err(|_| dom_error())?;
    Ok(Listener {
        target: target.clone(),
        kind,
        closure,
    })
}

fn wire<K: DeviceKeys + 'static, T: Transport + 'static>(
    shared: &Shared<K, T>,
) -> Result<Vec<Listener>> {
    let prompt = shared.borrow();
    let view = &prompt.view;
    let mut listeners = vec![
        listen(shared, &view.input, "input", |shared, _| {
            if let Ok(mut prompt) = shared.try_borrow_mut() {
                prompt.on_input();
            }
        })?,
        listen(shared, &view.input, "paste", |shared, event| {
            let Some(event) = event.dyn_ref::<ClipboardEvent>() else {
                return;
            };
            let pasted = Zeroizing::new(
                event
                    .clipboard_data()
                    .and_then(|data| data.get_data("text").ok())
                    .unwrap_or_default(),
            );
            // Only the digits: spaces or dashes in a pasted PIN are no typing mistake.
            let pasted: Zeroizing<String> =
                Zeroizing::new(pasted.chars().filter(char::is_ascii_digit).collect());
            event.prevent_default();
            if let Ok(mut prompt) = shared.try_borrow_mut() {
                if !prompt.busy {
                    prompt.view.input.set_value(&pasted);
                    prompt.on_input();
                }
            }
        })?,
        listen(shared, &view.backdrop, "keydown", |shared, event| {
            if let Some(event) = event.dyn_ref::<KeyboardEvent>() {
                on_keydown(shared, event);
            }
        })?,
        listen(shared, &view.backdrop, "mousedown", |shared, event| {
            // Pressing the backdrop does not take focus out of the dialog.
            if on_backdrop(shared, &event) {
                event.prevent_default();
            }
        })?,
        listen(shared, &view.backdrop, "click", |shared, event| {
            // The second click of a double click on the button that opened the prompt
            // lands on this backdrop: only a single click (`detail` 1, or 0 from script)
            // cancels.
            let single = js_sys::Reflect::get(&event, &JsValue::from_str("detail"))
                .ok()
                .and_then(|detail| detail.as_f64())
                .is_none_or(|clicks| clicks <= 1.0);
            if single && on_backdrop(shared, &event) {
                cancel(shared);
            }
        })?,
        listen(shared, &view.toggle, "click", |shared, _| {
            if let Ok(mut prompt) = shared.try_borrow_mut() {
                prompt.toggle_mask();
            }
        })?,
    ];
    for button in &view.buttons {
        let key = button
            .get_attribute("data-key")
            .or_else(|| button.get_attribute("data-action"))
            .unwrap_or_default();
        listeners.push(listen(
            shared,
            button,
            "click",
            move |shared, _| match key.as_str() {
                "cancel" => cancel(shared),
                key => press(shared, key),
            },
        )?);
    }
    Ok(listeners)
}

/// Opens the PIN prompt for the client's state and resolves when its flow succeeded:
/// setup (`pinSetupRequired`), unlock (`pinRequired`), or for `signedIn` the mode's
/// re-authentication or change (in `Auto` mode a signed-in client resolves at once).
/// A wrong PIN keeps the dialog open with the attempts left; a lockout or ended session
/// closes it with that error (also when the session ends elsewhere while it waits, with
/// `NOT_SIGNED_IN`); cancelling (button, Escape, backdrop) fails with `CANCELLED`, except
/// while a PIN is being checked, when the answer decides. While a prompt of `client` is
/// open, another call fails at once with `PROMPT_OPEN` and the open one carries on.
pub async fn prompt_pin<K, T>(
    client: &Rc<Client<K, T>>,
    options: PromptOptions,
) -> Result<PromptOutcome>
where
    K: DeviceKeys + 'static,
    T: Transport + 'static,
{
    let claim = OpenClaim::take(client)?;
    let flow = match (client.state(), options.mode) {
        (AuthState::PinSetupRequired, PromptMode::Auto) => Flow::Setup,
        (AuthState::PinRequired, PromptMode::Auto) => Flow::Unlock,
        (AuthState::SignedIn, PromptMode::Auto) => return Ok(PromptOutcome::Done),
        (AuthState::SignedIn, PromptMode::Reauth) => Flow::Reauth,
        (AuthState::SignedIn, PromptMode::Change) => Flow::Change,
        _ => return Err(Error::new(ErrorCode::NotSignedIn)),
    };
    let length = client.pin_policy().length();
    let view = View::build(length, &options.strings, options.container.as_ref())?;
    let outcome = Rc::new(Outcome {
        value: RefCell::new(None),
        waker: RefCell::new(None),
    });
    let shared: Shared<K, T> = Rc::new(RefCell::new(Prompt {
        client: client.clone(),
        view,
        flow,
        step: 0,
        entered: Vec::new(),
        length,
        busy: false,
        masked: true,
        options,
        listeners: Vec::new(),
        state_listener: None,
        outcome: outcome.clone(),
        claim: Some(claim),
    }));
    match wire(&shared) {
        Ok(listeners) => {
            let weak = Rc::downgrade(&shared);
            let state_listener = client.on_state_change(move |state| {
                // Another tab logged out, or the session expired, while the dialog waited
                // for input: its flow can no longer succeed. (While a PIN is being checked,
                // that call's own answer closes the dialog instead.)
                if *state != AuthState::SignedOut {
                    return;
                }
                if let Some(shared) = weak.upgrade() {
                    if let Ok(mut prompt) = shared.try_borrow_mut() {
                        if !prompt.busy {
                            prompt.finish(Err(Error::new(ErrorCode::NotSignedIn)));
                        }
                    }
                }
            });
            let mut prompt = shared.borrow_mut();
            prompt.listeners = listeners;
            prompt.state_listener = Some(state_listener);
            prompt.render_step();
        }
        Err(error) => shared.borrow_mut().finish(Err(error)),
    }
    let result = Settled(outcome).await;
    drop(shared);
    result
}
