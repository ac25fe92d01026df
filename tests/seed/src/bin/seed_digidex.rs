//! `seed-digidex --endpoint URL [--region R]`: puts into the local emulator what the
//! digidex spec needs to exist before its first apply (see the `strata-seed` crate).

fn main() -> std::process::ExitCode {
    let mut endpoint = None;
    let mut region = "eu-west-3".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--endpoint" => endpoint = args.next(),
            "--region" => region = args.next().unwrap_or(region),
            other => {
                eprintln!(
                    "seed-digidex: unknown argument `{other}`; usage: seed-digidex --endpoint URL [--region R]"
                );
                return std::process::ExitCode::from(2);
            }
        }
    }
    let Some(endpoint) = endpoint else {
        eprintln!("seed-digidex: --endpoint URL is required (the local emulator)");
        return std::process::ExitCode::from(2);
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(strata_seed::digidex(&endpoint, &region)) {
        Ok(done) => {
            for d in done {
                println!("seeded {d}");
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("seed-digidex: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
