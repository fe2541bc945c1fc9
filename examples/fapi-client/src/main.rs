//! `propusk-example-client`: a FAPI 2.0 client of Propusk on the command line.
//!
//! ```sh
//! propusk-example-client keygen client.pk8 client-jwks.json
//! propusk client create --sandbox --name "Мой банк" --redirect-uri http://127.0.0.1:8000/callback \
//!     --scope fullname --jwks-file client-jwks.json            # prints client_id
//! propusk-example-client token   http://127.0.0.1:8080 CLIENT_ID client.pk8
//! propusk-example-client login   http://127.0.0.1:8080 CLIENT_ID client.pk8 http://127.0.0.1:8000/callback
//! ```
//! `login` prints the URL to open; after approving, paste the address the
//! browser ends at (nothing needs to listen there) and it prints the tokens
//! and what UserInfo returned.

use std::io::BufRead;
use std::process::ExitCode;

use propusk_example_client::{Client, Error, keygen, load_key};

async fn run(args: &[String]) -> Result<(), Error> {
    match args.first().map(String::as_str) {
        Some("keygen") => {
            let (pk8, jwks) = keygen()?;
            std::fs::write(args.get(1).ok_or("keygen KEY_FILE JWKS_FILE")?, pk8)?;
            std::fs::write(args.get(2).ok_or("keygen KEY_FILE JWKS_FILE")?, jwks.to_string())?;
            println!("key written; register the JWKS with: propusk client create ... --jwks-file {}", args[2]);
        }
        Some("token") => {
            let [issuer, client_id, key] = [1, 2, 3].map(|i| args.get(i).cloned().unwrap_or_default());
            let client = Client::new(&issuer, &client_id, load_key(&std::fs::read(key)?)?)?;
            println!("{:#}", client.client_credentials("").await?);
        }
        Some("login") => {
            let [issuer, client_id, key, redirect] = [1, 2, 3, 4].map(|i| args.get(i).cloned().unwrap_or_default());
            let client = Client::new(&issuer, &client_id, load_key(&std::fs::read(key)?)?)?;
            let started = client.start(&redirect, "openid fullname").await?;
            println!("Open in a browser:\n{}\nthen paste the address you end up at:", started.authorize_url);
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let tokens = client.finish(&started, &redirect, line.trim()).await?;
            println!("{tokens:#}");
            let at = tokens["access_token"].as_str().ok_or("no access token")?;
            println!("{:#}", client.userinfo(at).await?);
        }
        _ => return Err("usage: keygen KEY JWKS | token ISSUER CLIENT_ID KEY | login ISSUER CLIENT_ID KEY REDIRECT_URI".into()),
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("propusk-example-client: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("propusk-example-client: {e}");
            ExitCode::FAILURE
        }
    }
}
