//! An emulator for blocking callers: it runs on a thread of its own with its own Tokio runtime, so a
//! program or test that uses the blocking library (which must not run inside an async runtime) can start
//! one, read its ready document and stop it by dropping the handle.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, anyhow};

use crate::config::EmulatorConfig;
use crate::ready::ReadyDocument;

/// A running emulator on its own thread. Dropping it stops the emulator and waits for the thread.
pub struct EmbeddedEmulator {
    ready: serde_json::Value,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EmbeddedEmulator {
    /// Starts an emulator with `config` (its `state_dir` must exist or be creatable) and waits until it is
    /// ready. `worker_threads` sizes its runtime (1 is plenty for one client).
    pub fn start(
        config: EmulatorConfig,
        worker_threads: usize,
    ) -> anyhow::Result<EmbeddedEmulator> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("azs-emulator".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(worker_threads.max(1))
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        return drop(ready_tx.send(Err(anyhow!("the emulator's runtime: {e}"))));
                    }
                };
                let emulator = match runtime.block_on(crate::start(config)) {
                    Ok(emulator) => emulator,
                    Err(e) => return drop(ready_tx.send(Err(e))),
                };
                let _ = ready_tx.send(Ok(emulator.ready().clone()));
                // Serve until the handle is dropped (which drops the sender too).
                let _ = stop_rx.recv();
                drop(emulator);
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .context("starting the emulator's thread")?;
        let ready = ready_rx
            .recv()
            .map_err(|_| anyhow!("the emulator's thread ended before it was ready"))??;
        Ok(EmbeddedEmulator {
            ready,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The ready document, as the emulator prints it.
    pub fn ready(&self) -> &serde_json::Value {
        &self.ready
    }

    /// The ready document, typed.
    pub fn ready_document(&self) -> anyhow::Result<ReadyDocument> {
        serde_json::from_value(self.ready.clone()).context("the ready document reads back typed")
    }
}

impl Drop for EmbeddedEmulator {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
