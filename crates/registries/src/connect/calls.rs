//! The typed operations, one per registry service.

use super::{Registries, Registry, RegistryError, Result};
use crate::wire::*;

fn required<T>(v: Option<T>, r: Registry, what: &str) -> Result<T> {
    v.ok_or_else(|| RegistryError::Protocol {
        detail: format!("{what}: 404 where an answer was due"),
        registry: r,
    })
}

impl Registries {
    /// ФНС: the INN of a person with this passport; `None` when ФНС has none.
    pub async fn inn_by_passport(&self, req: &InnRequest) -> Result<Option<String>> {
        let answer: Option<InnResponse> = self
            .post(Registry::Fns, "inn_by_passport", "/inn", req)
            .await?;
        let answer = required(answer, Registry::Fns, "inn")?;
        Ok(answer.inn.filter(|_| answer.code == 1))
    }

    /// ФНС: 2-НДФЛ statements.
    pub async fn income(&self, req: &IncomeRequest) -> Result<Option<Vec<IncomeStatement>>> {
        let answer: Option<IncomeResponse> =
            self.post(Registry::Fns, "income", "/income", req).await?;
        Ok(answer.map(|a| a.statements))
    }

    /// ФНС: the ЕГРЮЛ/ЕГРИП search by OGRN, OGRNIP or INN.
    pub async fn egr_search(&self, query: &str) -> Result<Vec<EgrRow>> {
        let digits: String = query.chars().filter(char::is_ascii_digit).collect();
        let found: Option<EgrSearch> = self
            .get(Registry::Fns, "egr_search", &format!("/egr?query={digits}"))
            .await?;
        Ok(found.map(|f| f.rows).unwrap_or_default())
    }

    /// ФНС: an ЕГРЮЛ extract by OGRN.
    pub async fn egrul(&self, ogrn: &propusk_core::ident::Ogrn) -> Result<Option<EgrulExtract>> {
        self.get(Registry::Fns, "egrul", &format!("/egrul/{ogrn}"))
            .await
    }

    /// ФНС: an ЕГРИП extract by OGRNIP.
    pub async fn egrip(
        &self,
        ogrnip: &propusk_core::ident::Ogrnip,
    ) -> Result<Option<EgripExtract>> {
        self.get(Registry::Fns, "egrip", &format!("/egrip/{ogrnip}"))
            .await
    }

    /// МВД: passport validity (and whether it is this person's).
    pub async fn check_passport(
        &self,
        req: &PassportCheckRequest,
    ) -> Result<PassportCheckResponse> {
        let answer = self
            .post(Registry::Mvd, "check_passport", "/passport/check", req)
            .await?;
        required(answer, Registry::Mvd, "passport check")
    }

    /// МВД: the registration address of a passport's holder.
    pub async fn registration(&self, passport: &PassportRef) -> Result<Option<AddressDoc>> {
        self.post(Registry::Mvd, "registration", "/registration", passport)
            .await
    }

    /// СФР: whether a SNILS belongs to the person.
    pub async fn verify_snils(&self, req: &SnilsVerifyRequest) -> Result<SnilsVerifyResponse> {
        let answer = self
            .post(Registry::Sfr, "verify_snils", "/snils/verify", req)
            .await?;
        required(answer, Registry::Sfr, "snils verify")
    }

    /// СФР: the pension account statement.
    pub async fn pension(&self, key: &PersonKey) -> Result<Option<PensionStatement>> {
        self.post(Registry::Sfr, "pension", "/pension", key).await
    }

    /// Росреестр: the objects a person holds rights to.
    pub async fn estate(&self, key: &PersonKey) -> Result<Vec<EstateDoc>> {
        let found: Option<EstateList> = self
            .post(Registry::Rosreestr, "estate", "/rights", key)
            .await?;
        Ok(found.map(|f| f.objects).unwrap_or_default())
    }

    /// Росреестр: one object.
    pub async fn estate_object(
        &self,
        cad: &propusk_core::ident::CadastralNumber,
    ) -> Result<Option<EstateDoc>> {
        self.get(
            Registry::Rosreestr,
            "estate_object",
            &format!("/objects/{cad}"),
        )
        .await
    }

    /// ГИС ГМП: a person's charges.
    pub async fn charges(&self, key: &PersonKey) -> Result<Vec<ChargeDoc>> {
        let found: Option<ChargeList> = self
            .post(Registry::Gisgmp, "charges", "/charges", key)
            .await?;
        Ok(found.map(|f| f.charges).unwrap_or_default())
    }

    /// ГИС ГМП: one charge by UIN.
    pub async fn charge(&self, uin: &propusk_core::ident::Uin) -> Result<Option<ChargeDoc>> {
        self.get(Registry::Gisgmp, "charge", &format!("/charges/{uin}"))
            .await
    }

    /// ГИС ГМП: report a payment (safe to repeat with the same id).
    pub async fn report_payment(&self, notice: &PaymentNotice) -> Result<PaymentAck> {
        let answer = self
            .post(Registry::Gisgmp, "report_payment", "/payments", notice)
            .await?;
        required(answer, Registry::Gisgmp, "payment")
    }

    /// Files a correction request under Propusk's own id: filing it again
    /// (a retry after a lost answer) returns the same answer.
    pub async fn file_correction(
        &self,
        r: Registry,
        id: &str,
        req: &CorrectionRequest,
    ) -> Result<CorrectionAnswer> {
        let answer = self
            .put(r, "file_correction", &format!("/corrections/{id}"), req)
            .await?;
        required(answer, r, "correction")
    }

    /// Where a filed correction stands; `None` if the registry has no such
    /// request (it lost it: file it again).
    pub async fn correction(&self, r: Registry, id: &str) -> Result<Option<CorrectionAnswer>> {
        self.get(r, "correction", &format!("/corrections/{id}"))
            .await
    }
}
