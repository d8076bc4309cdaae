//! `dead-letters`: an operator's hands on the jobs that failed every attempt: list them, look
//! at one, put them back on the queue, or delete them.

use pool_redis::{DeadLetter, DeadLetters, Inspector, Queue, QueueError};
use serde::Serialize;

use super::DeadLettersArgs;
use super::cli::{DeadLetterAction, Pick};

/// A dead letter as the command line shows it.
#[derive(Debug, Serialize)]
pub struct Letter {
    /// Its id in the dead-letter stream.
    pub id: String,
    /// When it died (RFC 3339, UTC).
    pub dead_since: String,
    /// The job's kind.
    pub kind: String,
    /// The job's key.
    pub key: String,
    /// How many times it ran.
    pub attempts: u32,
    /// Its last error.
    pub error: String,
    /// Its payload, as written.
    pub payload: String,
}

impl From<&DeadLetter> for Letter {
    fn from(letter: &DeadLetter) -> Self {
        Self {
            id: letter.id.clone(),
            dead_since: humantime::format_rfc3339_seconds(letter.dead_since).to_string(),
            kind: letter.kind.clone(),
            key: letter.key.clone(),
            attempts: letter.attempts,
            error: letter.error.clone(),
            payload: letter.payload.clone(),
        }
    }
}

/// What `requeue` or `delete` did.
#[derive(Debug, Serialize)]
pub struct Done {
    /// `requeued` or `deleted`.
    pub action: &'static str,
    /// How many.
    pub count: u64,
    /// The ids or keys asked for that named no dead letter.
    pub not_found: Vec<String>,
}

/// Runs `dead-letters` as `args` says.
///
/// # Errors
///
/// If Redis cannot be reached or fails, or a letter asked for is not there.
pub fn run(args: &DeadLettersArgs) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let json = args.queue.json;
    runtime.block_on(async {
        let inspector = Inspector::connect(&args.queue.redis).await?;
        let queue = Queue::new(&args.queue.queue_name);
        let letters = inspector.dead_letters(&queue)?;
        match &args.action {
            DeadLetterAction::List { count } => {
                let total = letters.count().await?;
                let shown: Vec<Letter> = letters
                    .newest(*count as usize)
                    .await?
                    .iter()
                    .map(Letter::from)
                    .collect();
                let mut text = format!(
                    "{total} dead letters in {}{}",
                    queue.name(),
                    if total > 0 { ", newest first:" } else { "" }
                );
                for letter in &shown {
                    text.push_str(&format!(
                        "\n{}  {}  {}  key {}  {} attempts  {}",
                        letter.id,
                        letter.dead_since,
                        letter.kind,
                        letter.key,
                        letter.attempts,
                        letter.error
                    ));
                }
                super::print(json, &shown, &text);
                Ok(())
            }
            DeadLetterAction::Show { letter } => {
                let Some(found) = find(&letters, letter).await? else {
                    return Err(format!("no dead letter {letter} in {}", queue.name()).into());
                };
                let mut text = String::new();
                for (name, value) in &found.fields {
                    text.push_str(&format!(
                        "{}: {}\n",
                        pool_redis::escaped(name),
                        pool_redis::escaped(value)
                    ));
                }
                let shown = Letter::from(&found);
                let text = format!(
                    "dead letter {} (since {}), {} attempts\nerror: {}\n{}",
                    shown.id,
                    shown.dead_since,
                    shown.attempts,
                    shown.error,
                    text.trim_end()
                );
                super::print(json, &shown, &text);
                Ok(())
            }
            DeadLetterAction::Requeue(pick) => act(&letters, pick, "requeued", json).await,
            DeadLetterAction::Delete(pick) => act(&letters, pick, "deleted", json).await,
        }
    })
}

/// Re-queues or deletes the letters `pick` names; an error if any named none.
async fn act(
    letters: &DeadLetters,
    pick: &Pick,
    action: &'static str,
    json: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let requeue = action == "requeued";
    let mut done = Done {
        action,
        count: 0,
        not_found: Vec::new(),
    };
    if pick.all {
        done.count = if requeue {
            letters.requeue_all().await?
        } else {
            letters.delete_all().await?
        };
    }
    for asked in &pick.letters {
        let acted = match find(letters, asked).await? {
            Some(letter) if requeue => letters.requeue(&letter.id).await?,
            Some(letter) => letters.delete(&letter.id).await?,
            None => false,
        };
        if acted {
            done.count += 1;
        } else {
            done.not_found.push(asked.clone());
        }
    }
    let text = format!("{action} {} dead letters", done.count);
    super::print(json, &done, &text);
    if done.not_found.is_empty() {
        Ok(())
    } else {
        Err(format!("no dead letter {}", done.not_found.join(", ")).into())
    }
}

/// The dead letter `asked` names: by job key if it is one, else by id.
async fn find(letters: &DeadLetters, asked: &str) -> Result<Option<DeadLetter>, QueueError> {
    match uuid::Uuid::parse_str(asked) {
        Ok(key) => letters.find(&key).await,
        Err(_) => letters.get(asked).await,
    }
}
