//! hls-swarm: parse arguments, build the runtime, run the subcommand, map errors to an exit code.

mod cli;
mod cli_values;
mod demo;
mod distributed;
mod end_check;
mod exit;
mod ffmpeg_config;
mod host_watch;
mod kubernetes;
mod limits;
mod log;
mod merge_cmd;
mod observer;
mod origin_cmd;
mod outputs;
mod replay;
mod report;
mod report_cmd;
mod request_tap;
mod run;
mod selfusage;
mod series;
mod session;
mod sizes;
mod stop;
mod target;
mod watch;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::exit::{Exit, describe, exit_of};

fn main() -> ExitCode {
    // A viewer's trampoline (hls-swarm starts each ffmpeg through its own executable, which
    // is much cheaper than a fork of a large process) becomes ffmpeg here and never returns.
    hls_swarm_supervise::trampoline_if_asked();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hls-swarm: cannot start the async runtime: {e}");
            return Exit::Runtime.into();
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(exit) => exit.into(),
        Err(err) => {
            eprintln!("hls-swarm: {}", describe(err.as_ref()));
            exit_of(&err).into()
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Run(args) => run::run(*args).await,
        Command::Replay(args) => replay::replay(&args),
        Command::Merge(args) => merge_cmd::merge_summaries(&args),
        Command::Report(args) => report_cmd::report(&args),
        Command::Origin(args) => origin_cmd::origin(&args).await,
        Command::Demo(args) => demo::demo(&args).await,
        Command::Kubernetes(args) => kubernetes::kubernetes(&args),
    }
}
