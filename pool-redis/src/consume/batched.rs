//! Questions to Redis asked one by one by many jobs and answered in batches: the questions
//! that arrive while one batch is under way wait, and go together in the next, one round
//! trip for all of them. None waits for a timer: a question that finds no batch under way
//! is sent at once. Job starts are counted this way, and limited kinds admitted.

use async_channel::{Receiver, Sender};
use futures_lite::future;
use pool_core::{BoxError, CancellationToken};

/// A question, and where its answer goes.
struct Asked<Question, Answer> {
    question: Question,
    reply: Sender<Result<Answer, String>>,
}

/// The questions waiting for a batch. Clones share them.
pub(crate) struct Batched<Question, Answer> {
    questions: Sender<Asked<Question, Answer>>,
    waiting: Receiver<Asked<Question, Answer>>,
    /// Said to the questions still waiting when the batches stop.
    stopped: &'static str,
}

impl<Question, Answer> Clone for Batched<Question, Answer> {
    fn clone(&self) -> Self {
        Self {
            questions: self.questions.clone(),
            waiting: self.waiting.clone(),
            stopped: self.stopped,
        }
    }
}

impl<Question, Answer: Clone> Batched<Question, Answer> {
    /// Batches whose end is told to the questions left as `stopped`.
    pub(crate) fn new(stopped: &'static str) -> Self {
        let (questions, waiting) = async_channel::unbounded();
        Self {
            questions,
            waiting,
            stopped,
        }
    }

    /// Asks `question` in the next batch, and waits for its answer.
    pub(crate) async fn ask(&self, question: Question) -> Result<Answer, BoxError> {
        let (reply, answer) = async_channel::bounded(1);
        let asked = Asked { question, reply };
        self.questions.send(asked).await.map_err(|_| self.stopped)?;
        Ok(answer.recv().await.map_err(|_| self.stopped)??)
    }

    /// Answers the questions asked, `most` at a time with one call of `answer` each, until
    /// `stop` fires. A failed call fails every question in it.
    ///
    /// However it ends, returned or dropped with the consumer's `run`, the questions waiting
    /// then and any asked later fail at once rather than wait for ever. A question whose
    /// asker has gone (a job dropped while it waited: its timeout, an abort) is not sent.
    pub(crate) async fn answer_until<F, Fut>(
        &self,
        most: usize,
        answer: F,
        stop: &CancellationToken,
    ) where
        F: Fn(Vec<Question>) -> Fut,
        Fut: Future<Output = Result<Vec<Answer>, String>>,
    {
        let _closing = CloseOnDrop(&self.waiting);
        loop {
            let next = async { self.waiting.recv().await.ok() };
            let stopped = async {
                stop.cancelled().await;
                None
            };
            let Some(first) = future::or(stopped, next).await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < most {
                let Ok(asked) = self.waiting.try_recv() else {
                    break;
                };
                batch.push(asked);
            }
            batch.retain(|asked| asked.reply.receiver_count() > 0);
            if batch.is_empty() {
                continue;
            }
            let (questions, replies): (Vec<Question>, Vec<_>) = batch
                .into_iter()
                .map(|asked| (asked.question, asked.reply))
                .unzip();
            let answers = answer(questions).await;
            for (index, reply) in replies.into_iter().enumerate() {
                let answer = match &answers {
                    Ok(answers) => answers
                        .get(index)
                        .cloned()
                        .ok_or_else(|| "an answer was missing from its batch".to_owned()),
                    Err(error) => Err(error.clone()),
                };
                let _ = reply.try_send(answer);
            }
        }
    }
}

/// Closes the questions' queue when the loop that answers them ends: a closed channel drops
/// the questions it holds, so their askers hear at once that no answer will come.
struct CloseOnDrop<'a, Question, Answer>(&'a Receiver<Asked<Question, Answer>>);

impl<Question, Answer> Drop for CloseOnDrop<'_, Question, Answer> {
    fn drop(&mut self) {
        self.0.close();
        while self.0.try_recv().is_ok() {}
    }
}
