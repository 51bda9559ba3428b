//! Deterministic demo data: a fictional Japanese airline group to try mamori with.
//!
//! [`demo_group`] builds a holding company and six group companies (airline, regional
//! airline, cargo, IT services, travel, ground handling), their departments, 240 people
//! with Japanese names, an information-asset inventory and a handful of demo login
//! accounts. Every company, person and domain is fictional; e-mail addresses use
//! `.example` domains only.
//!
//! The output depends on the seed alone: nothing here reads the clock, the OS random
//! source or any file. Randomness comes from a small SplitMix64 generator.

use std::collections::BTreeSet;

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/// A company of the demo group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCompany {
    pub code: &'static str,
    pub name_ja: &'static str,
    pub name_en: &'static str,
    pub is_holding: bool,
}

/// A department; `code` is unique in the whole group (e.g. `AIR-IT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoDepartment {
    pub company_code: &'static str,
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
}

/// A member of staff of one company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPerson {
    pub company_code: &'static str,
    pub department_code: String,
    /// Unique within the group, e.g. `JA00123`.
    pub employee_no: String,
    /// Kanji, e.g. 佐藤.
    pub family_name: String,
    /// Kanji, e.g. 花子.
    pub given_name: String,
    /// Katakana, e.g. サトウ.
    pub family_name_kana: String,
    /// Katakana, e.g. ハナコ.
    pub given_name_kana: String,
    /// ASCII, unique, e.g. `hanako.sato@kumoji-air.example`.
    pub email: String,
    /// `"employee"` or `"contractor"`.
    pub employment: &'static str,
    /// Japanese job title, e.g. 課長, 主任, 担当.
    pub job_title: String,
}

/// An entry of the information-asset inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAsset {
    pub company_code: &'static str,
    pub name: String,
    /// One of `information`, `system`, `server`, `cloud_service`, `device`.
    pub kind: &'static str,
    /// One of `public`, `internal`, `confidential`, `secret`.
    pub classification: &'static str,
    /// True only when the asset holds personal data of customers (not of staff).
    pub customer_personal_info: bool,
    pub location: String,
    /// `employee_no` of a person of the same company.
    pub owner_employee_no: String,
    /// One Japanese sentence.
    pub description: String,
}

/// A demo login account linked to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    pub username: String,
    pub employee_no: String,
    pub role: &'static str,
    /// `None` means the whole group.
    pub company_code: Option<&'static str>,
}

/// The whole generated group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoGroup {
    pub companies: Vec<DemoCompany>,
    pub departments: Vec<DemoDepartment>,
    pub people: Vec<DemoPerson>,
    pub assets: Vec<DemoAsset>,
    pub users: Vec<DemoUser>,
}

// ---------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------

const EMPLOYEE: &str = "employee";
const CONTRACTOR: &str = "contractor";

const INFORMATION: &str = "information";
const SYSTEM: &str = "system";
const SERVER: &str = "server";
const CLOUD: &str = "cloud_service";
const DEVICE: &str = "device";

const PUBLIC: &str = "public";
const INTERNAL: &str = "internal";
const CONFIDENTIAL: &str = "confidential";
const SECRET: &str = "secret";

/// Number of people in the group.
const TOTAL_PEOPLE: usize = 240;
/// About 15 % of the group are contractors.
const CONTRACTOR_COUNT: usize = TOTAL_PEOPLE * 15 / 100;
/// The job title every contractor gets.
const CONTRACTOR_TITLE: &str = "担当";

// ---------------------------------------------------------------------------
// Companies
// ---------------------------------------------------------------------------

struct CompanySpec {
    code: &'static str,
    name_ja: &'static str,
    name_en: &'static str,
    is_holding: bool,
    /// E-mail domain; always under `.example`.
    domain: &'static str,
    /// Two-letter prefix of employee numbers.
    employee_prefix: &'static str,
    headcount: usize,
}

const COMPANIES: &[CompanySpec] = &[
    CompanySpec {
        code: "HD",
        name_ja: "株式会社雲路ホールディングス",
        name_en: "Kumoji Holdings Inc.",
        is_holding: true,
        domain: "kumoji-holdings.example",
        employee_prefix: "HD",
        headcount: 24,
    },
    CompanySpec {
        code: "AIR",
        name_ja: "雲路航空株式会社",
        name_en: "Kumoji Airways Co., Ltd.",
        is_holding: false,
        domain: "kumoji-air.example",
        employee_prefix: "JA",
        headcount: 80,
    },
    CompanySpec {
        code: "RGN",
        name_ja: "雲路リージョナル航空株式会社",
        name_en: "Kumoji Regional Airways Co., Ltd.",
        is_holding: false,
        domain: "kumoji-regional.example",
        employee_prefix: "RG",
        headcount: 28,
    },
    CompanySpec {
        code: "CGO",
        name_ja: "雲路カーゴ株式会社",
        name_en: "Kumoji Cargo Co., Ltd.",
        is_holding: false,
        domain: "kumoji-cargo.example",
        employee_prefix: "CG",
        headcount: 28,
    },
    CompanySpec {
        code: "ITS",
        name_ja: "雲路ITソリューションズ株式会社",
        name_en: "Kumoji IT Solutions Co., Ltd.",
        is_holding: false,
        domain: "kumoji-its.example",
        employee_prefix: "IT",
        headcount: 32,
    },
    CompanySpec {
        code: "TRV",
        name_ja: "雲路ツアーズ株式会社",
        name_en: "Kumoji Tours Co., Ltd.",
        is_holding: false,
        domain: "kumoji-tours.example",
        employee_prefix: "TR",
        headcount: 24,
    },
    CompanySpec {
        code: "GND",
        name_ja: "雲路グランドサービス株式会社",
        name_en: "Kumoji Ground Services Co., Ltd.",
        is_holding: false,
        domain: "kumoji-ground.example",
        employee_prefix: "GS",
        headcount: 24,
    },
];

// ---------------------------------------------------------------------------
// Departments
// ---------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct DeptSpec {
    company: &'static str,
    /// The department code is `{company}-{suffix}`.
    suffix: &'static str,
    name_ja: &'static str,
    name_en: &'static str,
    /// Relative share of the company's staff beyond the first two per department.
    weight: usize,
    /// Counts as an IT department when choosing asset owners.
    is_it: bool,
    /// Overrides the head's title (otherwise 部長 / 本部長 / 室長 from the name).
    head_title: Option<&'static str>,
    /// Titles for ordinary staff; empty means [`DEFAULT_STAFF_TITLES`].
    staff_titles: &'static [&'static str],
}

impl DeptSpec {
    const fn new(
        company: &'static str,
        suffix: &'static str,
        name_ja: &'static str,
        name_en: &'static str,
        weight: usize,
    ) -> Self {
        Self {
            company,
            suffix,
            name_ja,
            name_en,
            weight,
            is_it: false,
            head_title: None,
            staff_titles: &[],
        }
    }

    const fn it(self) -> Self {
        Self {
            is_it: true,
            ..self
        }
    }

    const fn head(self, title: &'static str) -> Self {
        Self {
            head_title: Some(title),
            ..self
        }
    }

    const fn staff(self, titles: &'static [&'static str]) -> Self {
        Self {
            staff_titles: titles,
            ..self
        }
    }

    fn code(&self) -> String {
        format!("{}-{}", self.company, self.suffix)
    }
}

/// Titles of ordinary staff; repetition makes 担当 the most common.
#[rustfmt::skip]
const DEFAULT_STAFF_TITLES: &[&str] = &[
    "担当", "担当", "担当", "担当", "主任", "主任", "係長", "課長代理", "専門職",
];

const PILOT_TITLES: &[&str] = &["機長", "副操縦士", "副操縦士", "運航管理者", "主任", "担当"];
const ENGINEER_TITLES: &[&str] = &["一等航空整備士", "二等航空整備士", "整備士", "主任", "担当"];
#[rustfmt::skip]
const SECURITY_TITLES: &[&str] = &["セキュリティアナリスト", "インシデントハンドラー", "主任", "担当"];
const AUDIT_TITLES: &[&str] = &["主任監査人", "監査担当", "監査担当"];

#[rustfmt::skip]
const DEPARTMENTS: &[DeptSpec] = &[
    // Holding company
    DeptSpec::new("HD", "CP", "経営企画部", "Corporate Planning", 3),
    DeptSpec::new("HD", "GA", "総務部", "General Affairs", 3),
    DeptSpec::new("HD", "HR", "人事部", "Human Resources", 3),
    DeptSpec::new("HD", "LGL", "法務・コンプライアンス部", "Legal & Compliance", 2),
    DeptSpec::new("HD", "ITP", "IT企画部", "IT Planning", 3)
        .it()
        .head("執行役員 CISO"),
    DeptSpec::new("HD", "CSIRT", "CSIRT室", "CSIRT", 2)
        .it()
        .staff(SECURITY_TITLES),
    DeptSpec::new("HD", "AUD", "内部監査室", "Internal Audit", 2).staff(AUDIT_TITLES),
    // Airline
    DeptSpec::new("AIR", "IT", "情報システム部", "IT Systems", 3).it(),
    DeptSpec::new("AIR", "GA", "総務部", "General Affairs", 2),
    DeptSpec::new("AIR", "HR", "人事部", "Human Resources", 2),
    DeptSpec::new("AIR", "OPS", "運航本部", "Flight Operations", 5).staff(PILOT_TITLES),
    DeptSpec::new("AIR", "MNT", "整備本部", "Engineering & Maintenance", 4)
        .staff(ENGINEER_TITLES),
    DeptSpec::new("AIR", "SAL", "営業部", "Sales", 3),
    DeptSpec::new("AIR", "CS", "顧客サービス部", "Customer Service", 4),
    DeptSpec::new("AIR", "LOY", "マイレージ事業部", "Loyalty Programme", 2),
    // Regional airline
    DeptSpec::new("RGN", "IT", "情報システム部", "IT Systems", 2).it(),
    DeptSpec::new("RGN", "GA", "総務部", "General Affairs", 2),
    DeptSpec::new("RGN", "OPS", "運航部", "Flight Operations", 4).staff(PILOT_TITLES),
    DeptSpec::new("RGN", "MNT", "整備部", "Maintenance", 3).staff(ENGINEER_TITLES),
    DeptSpec::new("RGN", "SAL", "営業部", "Sales", 2),
    // Cargo carrier
    DeptSpec::new("CGO", "IT", "情報システム部", "IT Systems", 2).it(),
    DeptSpec::new("CGO", "GA", "総務部", "General Affairs", 2),
    DeptSpec::new("CGO", "SAL", "貨物営業部", "Cargo Sales", 3),
    DeptSpec::new("CGO", "OPS", "貨物運送部", "Cargo Operations", 4),
    DeptSpec::new("CGO", "CUS", "通関部", "Customs Brokerage", 2),
    DeptSpec::new("CGO", "AUD", "内部監査室", "Internal Audit", 1).staff(AUDIT_TITLES),
    // IT services
    DeptSpec::new("ITS", "DEV", "システム開発部", "Systems Development", 4)
        .it()
        .staff(&["システムエンジニア", "システムエンジニア", "プログラマー", "主任", "プロジェクトマネージャー"]),
    DeptSpec::new("ITS", "INF", "インフラ運用部", "Infrastructure Operations", 3)
        .it()
        .staff(&["インフラエンジニア", "インフラエンジニア", "運用担当", "主任"]),
    DeptSpec::new("ITS", "SEC", "セキュリティ運用部", "Security Operations", 2)
        .it()
        .staff(SECURITY_TITLES),
    DeptSpec::new("ITS", "GA", "総務部", "General Affairs", 1),
    DeptSpec::new("ITS", "HR", "人事部", "Human Resources", 1),
    DeptSpec::new("ITS", "SAL", "営業部", "Sales", 2),
    // Travel
    DeptSpec::new("TRV", "IT", "情報システム部", "IT Systems", 1).it(),
    DeptSpec::new("TRV", "GA", "総務部", "General Affairs", 1),
    DeptSpec::new("TRV", "SAL", "営業部", "Sales", 3),
    DeptSpec::new("TRV", "PLN", "商品企画部", "Tour Planning", 2),
    DeptSpec::new("TRV", "CS", "顧客サービス部", "Customer Service", 3),
    DeptSpec::new("TRV", "WEB", "Web販売部", "Online Sales", 2),
    // Ground handling
    DeptSpec::new("GND", "IT", "情報システム部", "IT Systems", 1).it(),
    DeptSpec::new("GND", "GA", "総務部", "General Affairs", 1),
    DeptSpec::new("GND", "HR", "人事部", "Human Resources", 1),
    DeptSpec::new("GND", "PAX", "旅客サービス部", "Passenger Services", 4)
        .staff(&["グランドスタッフ", "グランドスタッフ", "主任", "担当"]),
    DeptSpec::new("GND", "RMP", "ランプサービス部", "Ramp Services", 4)
        .staff(&["グランドハンドリング担当", "グランドハンドリング担当", "主任", "担当"]),
];

// ---------------------------------------------------------------------------
// Names: (kanji, katakana reading, Hepburn romanisation without long-vowel marks)
// ---------------------------------------------------------------------------

type NameRow = (&'static str, &'static str, &'static str);

/// Family names, roughly most common first (the generator favours the front).
const FAMILY_NAMES: &[NameRow] = &[
    ("佐藤", "サトウ", "sato"),
    ("鈴木", "スズキ", "suzuki"),
    ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"),
    ("伊藤", "イトウ", "ito"),
    ("渡辺", "ワタナベ", "watanabe"),
    ("山本", "ヤマモト", "yamamoto"),
    ("中村", "ナカムラ", "nakamura"),
    ("小林", "コバヤシ", "kobayashi"),
    ("加藤", "カトウ", "kato"),
    ("吉田", "ヨシダ", "yoshida"),
    ("山田", "ヤマダ", "yamada"),
    ("佐々木", "ササキ", "sasaki"),
    ("山口", "ヤマグチ", "yamaguchi"),
    ("松本", "マツモト", "matsumoto"),
    ("井上", "イノウエ", "inoue"),
    ("木村", "キムラ", "kimura"),
    ("林", "ハヤシ", "hayashi"),
    ("斎藤", "サイトウ", "saito"),
    ("清水", "シミズ", "shimizu"),
    ("山崎", "ヤマザキ", "yamazaki"),
    ("森", "モリ", "mori"),
    ("池田", "イケダ", "ikeda"),
    ("橋本", "ハシモト", "hashimoto"),
    ("阿部", "アベ", "abe"),
    ("石川", "イシカワ", "ishikawa"),
    ("山下", "ヤマシタ", "yamashita"),
    ("中島", "ナカジマ", "nakajima"),
    ("石井", "イシイ", "ishii"),
    ("小川", "オガワ", "ogawa"),
    ("前田", "マエダ", "maeda"),
    ("岡田", "オカダ", "okada"),
    ("長谷川", "ハセガワ", "hasegawa"),
    ("藤田", "フジタ", "fujita"),
    ("後藤", "ゴトウ", "goto"),
    ("近藤", "コンドウ", "kondo"),
    ("村上", "ムラカミ", "murakami"),
    ("遠藤", "エンドウ", "endo"),
    ("青木", "アオキ", "aoki"),
    ("坂本", "サカモト", "sakamoto"),
    ("福田", "フクダ", "fukuda"),
    ("太田", "オオタ", "ota"),
    ("西村", "ニシムラ", "nishimura"),
    ("藤井", "フジイ", "fujii"),
    ("岡本", "オカモト", "okamoto"),
    ("金子", "カネコ", "kaneko"),
    ("三浦", "ミウラ", "miura"),
    ("原田", "ハラダ", "harada"),
    ("中野", "ナカノ", "nakano"),
    ("小野", "オノ", "ono"),
    ("竹内", "タケウチ", "takeuchi"),
    ("上田", "ウエダ", "ueda"),
];

/// Given names, male and female mixed.
const GIVEN_NAMES: &[NameRow] = &[
    ("翔太", "ショウタ", "shota"),
    ("花子", "ハナコ", "hanako"),
    ("大輔", "ダイスケ", "daisuke"),
    ("陽菜", "ヒナ", "hina"),
    ("健太", "ケンタ", "kenta"),
    ("美咲", "ミサキ", "misaki"),
    ("拓也", "タクヤ", "takuya"),
    ("愛", "アイ", "ai"),
    ("直樹", "ナオキ", "naoki"),
    ("由美", "ユミ", "yumi"),
    ("和也", "カズヤ", "kazuya"),
    ("恵子", "ケイコ", "keiko"),
    ("達也", "タツヤ", "tatsuya"),
    ("真由美", "マユミ", "mayumi"),
    ("誠", "マコト", "makoto"),
    ("裕子", "ユウコ", "yuko"),
    ("浩二", "コウジ", "koji"),
    ("智子", "トモコ", "tomoko"),
    ("隆", "タカシ", "takashi"),
    ("直美", "ナオミ", "naomi"),
    ("大輝", "ダイキ", "daiki"),
    ("桜", "サクラ", "sakura"),
    ("蓮", "レン", "ren"),
    ("結衣", "ユイ", "yui"),
    ("悠斗", "ユウト", "yuto"),
    ("葵", "アオイ", "aoi"),
    ("陽翔", "ハルト", "haruto"),
    ("凛", "リン", "rin"),
    ("湊", "ミナト", "minato"),
    ("美優", "ミユ", "miyu"),
    ("亮", "リョウ", "ryo"),
    ("彩", "アヤ", "aya"),
    ("健一", "ケンイチ", "kenichi"),
    ("千尋", "チヒロ", "chihiro"),
    ("雄一", "ユウイチ", "yuichi"),
    ("麻衣", "マイ", "mai"),
    ("修", "オサム", "osamu"),
    ("綾香", "アヤカ", "ayaka"),
    ("哲也", "テツヤ", "tetsuya"),
    ("奈々", "ナナ", "nana"),
    ("智也", "トモヤ", "tomoya"),
    ("里奈", "リナ", "rina"),
    ("慎吾", "シンゴ", "shingo"),
    ("優花", "ユウカ", "yuka"),
    ("剛", "ツヨシ", "tsuyoshi"),
    ("明美", "アケミ", "akemi"),
    ("一郎", "イチロウ", "ichiro"),
    ("久美子", "クミコ", "kumiko"),
    ("康弘", "ヤスヒロ", "yasuhiro"),
    ("洋子", "ヨウコ", "yoko"),
    ("秀樹", "ヒデキ", "hideki"),
    ("早紀", "サキ", "saki"),
    ("聡", "サトシ", "satoshi"),
    ("香織", "カオリ", "kaori"),
    ("海斗", "カイト", "kaito"),
    ("瞳", "ヒトミ", "hitomi"),
    ("颯太", "ソウタ", "sota"),
    ("芽衣", "メイ", "mei"),
    ("涼介", "リョウスケ", "ryosuke"),
    ("結菜", "ユイナ", "yuina"),
    ("真理子", "マリコ", "mariko"),
];

// ---------------------------------------------------------------------------
// Assets
// ---------------------------------------------------------------------------

/// (name, kind, classification, customer personal info, location,
///  owner department suffix — `None` means an IT department — , description)
type AssetRow = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static str,
    Option<&'static str>,
    &'static str,
);

#[rustfmt::skip]
const HD_ASSETS: &[AssetRow] = &[
    ("経営会議資料", INFORMATION, SECRET, false, "Box", Some("CP"),
     "取締役会および経営会議で配布される未公表の経営資料です。"),
    ("グループ中期経営計画（策定中）", INFORMATION, SECRET, false, "Box", Some("CP"),
     "公表前のグループ中期経営計画の草案と検討資料です。"),
    ("統合報告書", INFORMATION, PUBLIC, false, "公開ウェブサイト", Some("CP"),
     "投資家向けに公開しているグループの統合報告書です。"),
    ("グループ情報セキュリティ規程", INFORMATION, INTERNAL, false, "社内ポータル", Some("ITP"),
     "グループ各社が遵守する情報セキュリティの基本方針と規程類です。"),
    ("グループ幹部人事データ", INFORMATION, CONFIDENTIAL, false, "本社データセンター", Some("HR"),
     "グループ役員および幹部社員の人事評価と異動の情報です。"),
    ("グループ共通 ID 基盤", CLOUD, CONFIDENTIAL, false, "Microsoft 365", Some("ITP"),
     "グループ全社員のアカウントと多要素認証を管理する ID 基盤です。"),
    ("セキュリティログ分析基盤", SYSTEM, CONFIDENTIAL, false, "AWS 東京リージョン", Some("CSIRT"),
     "グループ各社のログを集約して不審な挙動を検知する分析基盤です。"),
    ("インシデント対応記録", INFORMATION, SECRET, false, "Box", Some("CSIRT"),
     "過去のセキュリティインシデントの調査記録と対応経緯です。"),
    ("内部監査報告書", INFORMATION, CONFIDENTIAL, false, "Box", Some("AUD"),
     "グループ各社への内部監査の結果と指摘事項をまとめた報告書です。"),
    ("業務用ノートPC 一式", DEVICE, INTERNAL, false, "本社", None,
     "役員と従業員に貸与している業務用ノートPCの一式です。"),
];

#[rustfmt::skip]
const AIR_ASSETS: &[AssetRow] = &[
    ("マイレージ会員データベース", INFORMATION, SECRET, true, "AWS 東京リージョン", None,
     "マイレージ会員の氏名・連絡先・搭乗履歴・獲得マイルを保持するデータベースです。"),
    ("予約システム", SYSTEM, SECRET, true, "本社データセンター", None,
     "国内線・国際線の座席予約と発券を処理し予約者の情報を保持する基幹システムです。"),
    ("顧客情報システム", SYSTEM, SECRET, true, "本社データセンター", None,
     "お客様の連絡先・問い合わせ履歴・配慮が必要な事項を一元管理するシステムです。"),
    ("搭乗者名簿", INFORMATION, SECRET, true, "本社データセンター", None,
     "便ごとの搭乗者の氏名・座席・旅券情報をまとめた名簿データです。"),
    ("会員向けウェブサイト", SYSTEM, INTERNAL, false, "AWS 東京リージョン", None,
     "会員が予約確認やマイル照会を行う画面を提供し、会員データ自体は会員データベースに保持するウェブサイトです。"),
    ("社内ポータル", SYSTEM, INTERNAL, false, "Microsoft 365", None,
     "社内通知・規程集・各種申請への入口となる社内向けポータルサイトです。"),
    ("人事給与システム", SYSTEM, CONFIDENTIAL, false, "本社データセンター", Some("HR"),
     "従業員の人事情報と給与計算を管理するシステムです。"),
    ("公開ウェブサイト", SYSTEM, PUBLIC, false, "AWS 東京リージョン", None,
     "運航情報や会社情報を一般に公開するコーポレートサイトです。"),
    ("Microsoft 365", CLOUD, INTERNAL, false, "Microsoft 365", None,
     "メール・予定表・Web会議に利用するクラウドサービスです。"),
    ("Salesforce", CLOUD, CONFIDENTIAL, true, "Salesforce", Some("SAL"),
     "法人顧客や旅行代理店の担当者の連絡先と商談を管理する営業支援サービスです。"),
    ("Box", CLOUD, CONFIDENTIAL, false, "Box", None,
     "部門間の文書共有と社外との安全なファイル受け渡しに利用するクラウドストレージです。"),
    ("AWS 東京リージョン", CLOUD, CONFIDENTIAL, false, "AWS 東京リージョン", None,
     "公開ウェブサイトと予約系システムの一部を稼働させるクラウド基盤です。"),
    ("ウェブサーバ01", SERVER, INTERNAL, false, "AWS 東京リージョン", None,
     "公開ウェブサイトを配信するウェブサーバです。"),
    ("DNS サーバ", SERVER, INTERNAL, false, "本社データセンター", None,
     "社内外の名前解決を担う DNS サーバです。"),
    ("業務用ノートPC 一式", DEVICE, INTERNAL, false, "本社・各空港事務所", None,
     "従業員に貸与している業務用ノートPCの一式です。"),
    ("空港カウンター端末 一式", DEVICE, INTERNAL, false, "国内各空港", None,
     "空港のチェックインカウンターで使用する業務端末の一式です。"),
    ("運航管理システム", SYSTEM, CONFIDENTIAL, false, "運航管理センター", Some("OPS"),
     "フライトプランの作成と運航状況の監視を行うシステムです。"),
    ("整備記録システム", SYSTEM, CONFIDENTIAL, false, "整備センター", Some("MNT"),
     "機体ごとの整備作業と部品交換の履歴を記録するシステムです。"),
    ("乗務員勤務スケジュール", INFORMATION, CONFIDENTIAL, false, "運航管理センター", Some("OPS"),
     "乗務員の乗務割当と勤務時間を管理するデータです。"),
    ("コールセンター通話録音", INFORMATION, CONFIDENTIAL, true, "本社データセンター", Some("CS"),
     "お客様からの電話でのお問い合わせを録音した音声データです。"),
    ("機内販売カタログ", INFORMATION, PUBLIC, false, "公開ウェブサイト", Some("SAL"),
     "機内とウェブサイトで公開している機内販売商品のカタログです。"),
];

#[rustfmt::skip]
const RGN_ASSETS: &[AssetRow] = &[
    ("地域路線予約データ", INFORMATION, SECRET, true, "AWS 東京リージョン", None,
     "地域路線の予約者の氏名・連絡先・搭乗便を保持するデータです。"),
    ("運航管理システム", SYSTEM, CONFIDENTIAL, false, "運航管理センター", Some("OPS"),
     "地域路線のフライトプラン作成と運航監視を行うシステムです。"),
    ("乗員訓練記録", INFORMATION, CONFIDENTIAL, false, "本社サーバ室", Some("OPS"),
     "運航乗務員の訓練履歴と資格審査の結果を記録したデータです。"),
    ("整備記録", INFORMATION, CONFIDENTIAL, false, "整備格納庫", Some("MNT"),
     "保有機の整備作業と点検結果の記録です。"),
    ("公開ウェブサイト", SYSTEM, PUBLIC, false, "AWS 東京リージョン", None,
     "地域路線の時刻表と運航状況を一般に公開するウェブサイトです。"),
    ("ファイルサーバ01", SERVER, INTERNAL, false, "本社サーバ室", None,
     "部門共有フォルダを提供する社内ファイルサーバです。"),
    ("Microsoft 365", CLOUD, INTERNAL, false, "Microsoft 365", None,
     "メール・予定表・ファイル共有に利用するクラウドサービスです。"),
    ("業務用ノートPC 一式", DEVICE, INTERNAL, false, "本社・各空港事務所", None,
     "従業員に貸与している業務用ノートPCの一式です。"),
];

#[rustfmt::skip]
const CGO_ASSETS: &[AssetRow] = &[
    ("荷主情報データベース", INFORMATION, SECRET, true, "本社データセンター", None,
     "荷主企業の担当者や個人の荷主の氏名・連絡先を保持するデータベースです。"),
    ("貨物予約・追跡システム", SYSTEM, CONFIDENTIAL, false, "AWS 東京リージョン", None,
     "貨物スペースの予約と貨物の輸送状況の追跡を行うシステムです。"),
    ("通関申告データ", INFORMATION, SECRET, true, "本社データセンター", Some("CUS"),
     "輸出入貨物の通関申告書類と個人を含む荷受人の情報です。"),
    ("公示運賃表", INFORMATION, PUBLIC, false, "公開ウェブサイト", Some("SAL"),
     "一般に公開している貨物運賃とサービス条件の一覧です。"),
    ("EDI サーバ", SERVER, CONFIDENTIAL, false, "本社データセンター", None,
     "航空会社や代理店と貨物データを電子交換する EDI サーバです。"),
    ("Salesforce", CLOUD, CONFIDENTIAL, true, "Salesforce", Some("SAL"),
     "荷主企業との商談と担当者の連絡先を管理する営業支援サービスです。"),
    ("Microsoft 365", CLOUD, INTERNAL, false, "Microsoft 365", None,
     "メール・予定表・ファイル共有に利用するクラウドサービスです。"),
    ("貨物ターミナル端末 一式", DEVICE, INTERNAL, false, "成田貨物ターミナル", Some("OPS"),
     "貨物の受付と搭載作業に使用するターミナル内の業務端末の一式です。"),
    ("内部監査報告書", INFORMATION, CONFIDENTIAL, false, "Box", Some("AUD"),
     "社内各部門への内部監査の結果と改善状況をまとめた報告書です。"),
];

#[rustfmt::skip]
const ITS_ASSETS: &[AssetRow] = &[
    ("ソースコード管理基盤", CLOUD, CONFIDENTIAL, false, "GitHub Enterprise Cloud", Some("DEV"),
     "グループ各社向けシステムのソースコードを管理する開発基盤です。"),
    ("特権 ID 管理システム", SYSTEM, SECRET, false, "本社データセンター", Some("SEC"),
     "サーバとネットワーク機器の特権アカウントの貸出と操作記録を管理するシステムです。"),
    ("脆弱性診断報告書", INFORMATION, SECRET, false, "Box", Some("SEC"),
     "グループ各社のシステムに対する脆弱性診断の結果と未対策事項をまとめた報告書です。"),
    ("統合監視サーバ", SERVER, INTERNAL, false, "本社データセンター", Some("INF"),
     "グループのサーバとネットワークの稼働状況を監視するサーバです。"),
    ("バックアップサーバ", SERVER, CONFIDENTIAL, false, "大阪バックアップセンター", Some("INF"),
     "グループ基幹システムのデータを遠隔地に保管するバックアップサーバです。"),
    ("AWS 東京リージョン", CLOUD, CONFIDENTIAL, false, "AWS 東京リージョン", Some("INF"),
     "グループ共通で利用する AWS の組織アカウントと共通ネットワークです。"),
    ("運用保守手順書", INFORMATION, CONFIDENTIAL, false, "Box", Some("INF"),
     "受託している各社システムの運用手順と障害時の対応手順です。"),
    ("技術ブログ記事", INFORMATION, PUBLIC, false, "公開ウェブサイト", Some("DEV"),
     "社外に公開している技術ブログの記事原稿です。"),
    ("開発用ノートPC 一式", DEVICE, INTERNAL, false, "本社開発フロア", Some("DEV"),
     "開発者に貸与している高性能ノートPCの一式です。"),
    ("ネットワーク機器 一式", DEVICE, CONFIDENTIAL, false, "本社データセンター", Some("INF"),
     "データセンター内のルータ・スイッチ・ファイアウォールの一式です。"),
];

#[rustfmt::skip]
const TRV_ASSETS: &[AssetRow] = &[
    ("旅行予約システム", SYSTEM, SECRET, true, "AWS 東京リージョン", None,
     "パッケージツアーと宿泊の予約・決済を処理し申込者の情報を保持するシステムです。"),
    ("顧客旅券情報", INFORMATION, SECRET, true, "本社データセンター", Some("CS"),
     "海外ツアー参加者の旅券番号と有効期限などの情報です。"),
    ("会員メールマガジン配信リスト", INFORMATION, CONFIDENTIAL, true, "メール配信サービス", Some("WEB"),
     "メールマガジン購読者の氏名とメールアドレスの一覧です。"),
    ("Salesforce", CLOUD, CONFIDENTIAL, true, "Salesforce", Some("SAL"),
     "法人顧客と団体旅行の商談・問い合わせを管理する営業支援サービスです。"),
    ("仕入先契約書", INFORMATION, CONFIDENTIAL, false, "Box", Some("PLN"),
     "ホテルや現地手配会社との仕入契約書と料金条件です。"),
    ("ツアーパンフレット", INFORMATION, PUBLIC, false, "公開ウェブサイト", Some("PLN"),
     "店頭とウェブサイトで配布しているツアー商品のパンフレットです。"),
    ("旅行商品ウェブサイト", SYSTEM, PUBLIC, false, "AWS 東京リージョン", Some("WEB"),
     "ツアー商品を紹介して予約システムへ案内する公開ウェブサイトです。"),
    ("Microsoft 365", CLOUD, INTERNAL, false, "Microsoft 365", None,
     "メール・予定表・ファイル共有に利用するクラウドサービスです。"),
    ("店舗端末 一式", DEVICE, INTERNAL, false, "各店舗", None,
     "旅行店舗のカウンターで使用する業務端末の一式です。"),
];

#[rustfmt::skip]
const GND_ASSETS: &[AssetRow] = &[
    ("旅客チェックインシステム", SYSTEM, SECRET, true, "空港ターミナル", None,
     "搭乗手続きで旅客の氏名・座席・手荷物の情報を扱うシステムです。"),
    ("手荷物追跡システム", SYSTEM, CONFIDENTIAL, true, "空港ターミナル", None,
     "受託手荷物の所在と持ち主の連絡先を管理するシステムです。"),
    ("遺失物管理台帳", INFORMATION, CONFIDENTIAL, true, "空港事務所", Some("PAX"),
     "空港内で届けられた遺失物と問い合わせたお客様の連絡先を記録した台帳です。"),
    ("作業員資格・訓練記録", INFORMATION, CONFIDENTIAL, false, "本社サーバ室", Some("HR"),
     "地上作業員の資格取得状況と訓練履歴の記録です。"),
    ("シフト管理サービス", CLOUD, CONFIDENTIAL, false, "クラウド（SaaS）", Some("HR"),
     "グランドスタッフの勤務シフトと勤怠を管理するクラウドサービスです。"),
    ("ランプ作業計画", INFORMATION, INTERNAL, false, "空港事務所", Some("RMP"),
     "便ごとの搭降載作業と車両配置の計画です。"),
    ("ハンディ端末 一式", DEVICE, INTERNAL, false, "空港ランプエリア", Some("RMP"),
     "手荷物と貨物の搭載確認に使用するハンディ端末の一式です。"),
    ("空港内ネットワーク機器", DEVICE, INTERNAL, false, "空港ターミナル", None,
     "空港事務所と作業エリアをつなぐネットワーク機器の一式です。"),
    ("安全マニュアル（公開版）", INFORMATION, PUBLIC, false, "公開ウェブサイト", Some("GA"),
     "地上作業の安全方針を社外向けにまとめた公開資料です。"),
];

const ASSET_TABLES: &[(&str, &[AssetRow])] = &[
    ("HD", HD_ASSETS),
    ("AIR", AIR_ASSETS),
    ("RGN", RGN_ASSETS),
    ("CGO", CGO_ASSETS),
    ("ITS", ITS_ASSETS),
    ("TRV", TRV_ASSETS),
    ("GND", GND_ASSETS),
];

// ---------------------------------------------------------------------------
// Demo login accounts
// ---------------------------------------------------------------------------

/// Which person of a department a demo account is linked to.
#[derive(Clone, Copy)]
enum Pick {
    /// The head of the department.
    Head,
    /// An ordinary employee (not a manager, not a contractor).
    Staff,
}

struct UserSpec {
    username: &'static str,
    role: &'static str,
    scope: Option<&'static str>,
    department: &'static str,
    pick: Pick,
}

#[rustfmt::skip]
const USERS: &[UserSpec] = &[
    UserSpec { username: "ciso", role: "ciso_office", scope: None, department: "HD-ITP", pick: Pick::Head },
    UserSpec { username: "officer.air", role: "security_officer", scope: Some("AIR"), department: "AIR-IT", pick: Pick::Head },
    UserSpec { username: "csirt", role: "csirt", scope: None, department: "HD-CSIRT", pick: Pick::Head },
    UserSpec { username: "auditor.cgo", role: "internal_auditor", scope: Some("CGO"), department: "CGO-AUD", pick: Pick::Head },
    UserSpec { username: "hr", role: "hr", scope: None, department: "HD-HR", pick: Pick::Head },
    UserSpec { username: "employee", role: "employee", scope: Some("AIR"), department: "AIR-CS", pick: Pick::Staff },
];

// ---------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------

/// SplitMix64: tiny, fast and good enough for demo data and test walks.
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0); the bias is negligible for small `n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A random element; `items` must not be empty.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An index in `0..n` favouring small indices (the minimum of two draws).
    fn below_skewed(&mut self, n: usize) -> usize {
        let a = self.below(n);
        let b = self.below(n);
        a.min(b)
    }

    /// Fisher–Yates shuffle.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------

/// Generation-time facts about a person that the public type does not carry.
struct PersonMeta {
    /// Index into [`DEPARTMENTS`].
    dept: usize,
    /// 0 for the department head, 1 for the deputy, then in order of joining.
    rank: usize,
}

/// Builds the demo group; the same `seed` always gives the same group.
pub fn demo_group(seed: u64) -> DemoGroup {
    let mut rng = SplitMix64::new(seed);

    let companies = COMPANIES
        .iter()
        .map(|c| DemoCompany {
            code: c.code,
            name_ja: c.name_ja,
            name_en: c.name_en,
            is_holding: c.is_holding,
        })
        .collect();

    let departments = DEPARTMENTS
        .iter()
        .map(|d| DemoDepartment {
            company_code: d.company,
            code: d.code(),
            name_ja: d.name_ja.to_owned(),
            name_en: d.name_en.to_owned(),
        })
        .collect();

    let (mut people, meta) = generate_people(&mut rng);
    assign_contractors(&mut rng, &mut people, &meta);
    let assets = generate_assets(&mut rng, &people, &meta);
    let users = generate_users(&people, &meta);

    DemoGroup {
        companies,
        departments,
        people,
        assets,
        users,
    }
}

fn generate_people(rng: &mut SplitMix64) -> (Vec<DemoPerson>, Vec<PersonMeta>) {
    let mut people = Vec::with_capacity(TOTAL_PEOPLE);
    let mut meta = Vec::with_capacity(TOTAL_PEOPLE);
    let mut used_names: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut used_emails: BTreeSet<String> = BTreeSet::new();

    for company in COMPANIES {
        let dept_ids: Vec<usize> = DEPARTMENTS
            .iter()
            .enumerate()
            .filter(|(_, d)| d.company == company.code)
            .map(|(i, _)| i)
            .collect();
        let mut dept_sizes = vec![0_usize; dept_ids.len()];
        let mut number = 100 + rng.below(400);

        for i in 0..company.headcount {
            // Every department first gets a head and a deputy; the rest is spread by weight.
            let slot = if i < 2 * dept_ids.len() {
                i % dept_ids.len()
            } else {
                weighted_slot(rng, &dept_ids)
            };
            let dept_index = dept_ids[slot];
            let dept = &DEPARTMENTS[dept_index];
            let rank = dept_sizes[slot];
            dept_sizes[slot] += 1;

            let (family, given) = choose_name(rng, &mut used_names);
            let email = unique_email(&mut used_emails, given.2, family.2, company.domain);
            number += 1 + rng.below(6);

            people.push(DemoPerson {
                company_code: company.code,
                department_code: dept.code(),
                employee_no: format!("{}{:05}", company.employee_prefix, number),
                family_name: family.0.to_owned(),
                given_name: given.0.to_owned(),
                family_name_kana: family.1.to_owned(),
                given_name_kana: given.1.to_owned(),
                email,
                employment: EMPLOYEE,
                job_title: job_title(rng, dept, rank),
            });
            meta.push(PersonMeta {
                dept: dept_index,
                rank,
            });
        }
    }
    (people, meta)
}

/// Picks a position in `dept_ids` with probability proportional to the department weight.
fn weighted_slot(rng: &mut SplitMix64, dept_ids: &[usize]) -> usize {
    let total: usize = dept_ids.iter().map(|&d| DEPARTMENTS[d].weight).sum();
    let mut roll = rng.below(total);
    for (slot, &d) in dept_ids.iter().enumerate() {
        let weight = DEPARTMENTS[d].weight;
        if roll < weight {
            return slot;
        }
        roll -= weight;
    }
    dept_ids.len().saturating_sub(1)
}

/// Chooses a family and given name, avoiding repeating a full name where practical.
fn choose_name(
    rng: &mut SplitMix64,
    used: &mut BTreeSet<(usize, usize)>,
) -> (&'static NameRow, &'static NameRow) {
    let mut choice = (0, 0);
    for _ in 0..8 {
        choice = (
            rng.below_skewed(FAMILY_NAMES.len()),
            rng.below(GIVEN_NAMES.len()),
        );
        if !used.contains(&choice) {
            break;
        }
    }
    used.insert(choice);
    (&FAMILY_NAMES[choice.0], &GIVEN_NAMES[choice.1])
}

/// `given.family@domain`, with a number appended when the address is taken.
fn unique_email(used: &mut BTreeSet<String>, given: &str, family: &str, domain: &str) -> String {
    let mut email = format!("{given}.{family}@{domain}");
    let mut suffix = 2;
    while used.contains(&email) {
        email = format!("{given}.{family}{suffix}@{domain}");
        suffix += 1;
    }
    used.insert(email.clone());
    email
}

fn job_title(rng: &mut SplitMix64, dept: &DeptSpec, rank: usize) -> String {
    let is_division = dept.name_ja.ends_with("本部");
    let is_office = dept.name_ja.ends_with('室');
    let title = match rank {
        0 => match dept.head_title {
            Some(title) => title,
            None if is_division => "本部長",
            None if is_office => "室長",
            None => "部長",
        },
        1 if is_division => "部長",
        1 if is_office => "室長代理",
        1 => "課長",
        _ if dept.staff_titles.is_empty() => *rng.pick(DEFAULT_STAFF_TITLES),
        _ => *rng.pick(dept.staff_titles),
    };
    title.to_owned()
}

/// Turns exactly [`CONTRACTOR_COUNT`] non-managers into contractors.
fn assign_contractors(rng: &mut SplitMix64, people: &mut [DemoPerson], meta: &[PersonMeta]) {
    let mut eligible: Vec<usize> = (0..people.len()).filter(|&i| meta[i].rank >= 2).collect();
    rng.shuffle(&mut eligible);
    for &i in eligible.iter().take(CONTRACTOR_COUNT) {
        people[i].employment = CONTRACTOR;
        people[i].job_title = CONTRACTOR_TITLE.to_owned();
    }
}

fn generate_assets(
    rng: &mut SplitMix64,
    people: &[DemoPerson],
    meta: &[PersonMeta],
) -> Vec<DemoAsset> {
    let mut assets = Vec::new();
    for &(company, rows) in ASSET_TABLES {
        for &(
            name,
            kind,
            classification,
            customer_personal_info,
            location,
            owner_dept,
            description,
        ) in rows
        {
            assets.push(DemoAsset {
                company_code: company,
                name: name.to_owned(),
                kind,
                classification,
                customer_personal_info,
                location: location.to_owned(),
                owner_employee_no: choose_owner(rng, people, meta, company, owner_dept),
                description: description.to_owned(),
            });
        }
    }
    assets
}

/// An employee of `company`, preferably a non-junior one in the owning department
/// (an IT department when `owner_dept` is `None`).
fn choose_owner(
    rng: &mut SplitMix64,
    people: &[DemoPerson],
    meta: &[PersonMeta],
    company: &str,
    owner_dept: Option<&str>,
) -> String {
    let in_owning_dept = |m: &PersonMeta| {
        let dept = &DEPARTMENTS[m.dept];
        match owner_dept {
            Some(suffix) => dept.suffix == suffix,
            None => dept.is_it,
        }
    };
    let candidates = |dept_only: bool, senior_only: bool| -> Vec<usize> {
        (0..people.len())
            .filter(|&i| {
                let p = &people[i];
                p.company_code == company
                    && p.employment == EMPLOYEE
                    && (!dept_only || in_owning_dept(&meta[i]))
                    && (!senior_only || p.job_title != "担当")
            })
            .collect()
    };
    let pool = [(true, true), (true, false), (false, true), (false, false)]
        .into_iter()
        .map(|(dept_only, senior_only)| candidates(dept_only, senior_only))
        .find(|pool| !pool.is_empty())
        .expect("every company has at least one employee");
    people[*rng.pick(&pool)].employee_no.clone()
}

fn generate_users(people: &[DemoPerson], meta: &[PersonMeta]) -> Vec<DemoUser> {
    USERS
        .iter()
        .map(|spec| {
            let in_dept = |i: &usize| people[*i].department_code == spec.department;
            let found = match spec.pick {
                Pick::Head => (0..people.len())
                    .filter(in_dept)
                    .find(|&i| meta[i].rank == 0),
                Pick::Staff => {
                    let staff = |i: &usize| meta[*i].rank >= 2 && people[*i].employment == EMPLOYEE;
                    (0..people.len())
                        .filter(in_dept)
                        .filter(staff)
                        .find(|&i| people[i].job_title == "担当")
                        .or_else(|| (0..people.len()).filter(in_dept).find(staff))
                }
            };
            let index = found.expect("the demo department has a suitable person");
            DemoUser {
                username: spec.username.to_owned(),
                employee_no: people[index].employee_no.clone(),
                role: spec.role,
                company_code: spec.scope,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const SEEDS: [u64; 4] = [0, 1, 42, u64::MAX];

    fn is_katakana(s: &str) -> bool {
        !s.is_empty() && s.chars().all(|c| ('\u{30A0}'..='\u{30FF}').contains(&c))
    }

    #[test]
    fn has_240_people() {
        for seed in SEEDS {
            assert_eq!(demo_group(seed).people.len(), 240);
        }
    }

    #[test]
    fn has_holding_and_six_group_companies() {
        let group = demo_group(1);
        let holdings: Vec<_> = group.companies.iter().filter(|c| c.is_holding).collect();
        assert_eq!(holdings.len(), 1);
        assert_eq!(holdings[0].code, "HD");
        assert!(group.companies.iter().filter(|c| !c.is_holding).count() >= 6);
        for code in ["AIR", "RGN", "CGO", "ITS", "TRV", "GND"] {
            assert!(
                group.companies.iter().any(|c| c.code == code),
                "missing {code}"
            );
        }
    }

    #[test]
    fn every_company_has_people_and_airline_is_largest() {
        let group = demo_group(3);
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for p in &group.people {
            *counts.entry(p.company_code).or_default() += 1;
        }
        let air = counts.get("AIR").copied().unwrap_or_default();
        for c in &group.companies {
            let n = counts.get(c.code).copied().unwrap_or_default();
            assert!(n > 0, "{} has nobody", c.code);
            assert!(n <= air);
        }
    }

    #[test]
    fn departments_are_unique_and_4_to_8_per_company() {
        let group = demo_group(1);
        let codes: BTreeSet<&str> = group.departments.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes.len(), group.departments.len());
        for c in &group.companies {
            let n = group
                .departments
                .iter()
                .filter(|d| d.company_code == c.code)
                .count();
            assert!((4..=8).contains(&n), "{} has {n} departments", c.code);
        }
        for p in &group.people {
            let dept = group
                .departments
                .iter()
                .find(|d| d.code == p.department_code)
                .expect("department exists");
            assert_eq!(dept.company_code, p.company_code);
        }
    }

    #[test]
    fn employee_numbers_are_unique() {
        for seed in SEEDS {
            let group = demo_group(seed);
            let numbers: BTreeSet<&str> = group
                .people
                .iter()
                .map(|p| p.employee_no.as_str())
                .collect();
            assert_eq!(numbers.len(), group.people.len());
        }
    }

    #[test]
    fn emails_are_unique_ascii_and_example() {
        for seed in SEEDS {
            let group = demo_group(seed);
            let emails: BTreeSet<&str> = group.people.iter().map(|p| p.email.as_str()).collect();
            assert_eq!(emails.len(), group.people.len());
            for p in &group.people {
                assert!(p.email.is_ascii(), "{}", p.email);
                assert!(p.email.ends_with(".example"), "{}", p.email);
                assert_eq!(p.email.matches('@').count(), 1, "{}", p.email);
            }
        }
    }

    #[test]
    fn kana_fields_are_katakana() {
        for seed in SEEDS {
            for p in demo_group(seed).people {
                assert!(is_katakana(&p.family_name_kana), "{}", p.family_name_kana);
                assert!(is_katakana(&p.given_name_kana), "{}", p.given_name_kana);
            }
        }
    }

    #[test]
    fn name_tables_are_large_enough_and_well_formed() {
        assert!(FAMILY_NAMES.len() >= 40);
        assert!(GIVEN_NAMES.len() >= 60);
        for (kanji, kana, romaji) in FAMILY_NAMES.iter().chain(GIVEN_NAMES) {
            assert!(!kanji.is_empty());
            assert!(is_katakana(kana), "{kana}");
            assert!(romaji.chars().all(|c| c.is_ascii_lowercase()), "{romaji}");
        }
    }

    #[test]
    fn about_15_percent_contractors() {
        let group = demo_group(9);
        let contractors = group
            .people
            .iter()
            .filter(|p| p.employment == CONTRACTOR)
            .count();
        assert_eq!(contractors, 36);
        assert!(
            group
                .people
                .iter()
                .all(|p| p.employment == EMPLOYEE || p.employment == CONTRACTOR)
        );
    }

    #[test]
    fn asset_owners_belong_to_the_same_company() {
        for seed in SEEDS {
            let group = demo_group(seed);
            assert!(group.assets.len() >= 60);
            for a in &group.assets {
                let owner = group
                    .people
                    .iter()
                    .find(|p| p.employee_no == a.owner_employee_no)
                    .expect("owner exists");
                assert_eq!(owner.company_code, a.company_code, "{}", a.name);
            }
        }
    }

    #[test]
    fn assets_use_known_kinds_and_classifications() {
        let group = demo_group(1);
        for a in &group.assets {
            assert!(
                [INFORMATION, SYSTEM, SERVER, CLOUD, DEVICE].contains(&a.kind),
                "{}",
                a.kind
            );
            assert!([PUBLIC, INTERNAL, CONFIDENTIAL, SECRET].contains(&a.classification));
            assert!(a.description.ends_with('。'), "{}", a.description);
            assert!(group.companies.iter().any(|c| c.code == a.company_code));
        }
    }

    #[test]
    fn every_group_company_has_all_classifications() {
        let group = demo_group(1);
        for c in group.companies.iter().filter(|c| c.code != "HD") {
            for class in [PUBLIC, INTERNAL, CONFIDENTIAL, SECRET] {
                assert!(
                    group
                        .assets
                        .iter()
                        .any(|a| a.company_code == c.code && a.classification == class),
                    "{} lacks {class}",
                    c.code
                );
            }
        }
    }

    #[test]
    fn airline_key_assets_are_present() {
        let group = demo_group(1);
        let find = |name: &str| {
            group
                .assets
                .iter()
                .find(|a| a.company_code == "AIR" && a.name == name)
                .expect("airline asset exists")
        };
        for name in [
            "マイレージ会員データベース",
            "予約システム",
            "顧客情報システム",
        ] {
            let a = find(name);
            assert_eq!(a.classification, SECRET);
            assert!(a.customer_personal_info);
        }
        let payroll = find("人事給与システム");
        assert_eq!(payroll.classification, CONFIDENTIAL);
        assert!(!payroll.customer_personal_info);
        assert_eq!(find("公開ウェブサイト").classification, PUBLIC);
        assert_eq!(find("Microsoft 365").kind, CLOUD);
    }

    #[test]
    fn same_seed_same_group() {
        let a = demo_group(2024);
        let b = demo_group(2024);
        assert_eq!(a.people[0].email, b.people[0].email);
        assert_eq!(a.people[239].employee_no, b.people[239].employee_no);
        assert_eq!(a.assets[0].owner_employee_no, b.assets[0].owner_employee_no);
        assert_eq!(a, b);
        let c = demo_group(2025);
        assert_ne!(a.people, c.people);
    }

    #[test]
    fn users_reference_existing_people() {
        let group = demo_group(5);
        assert_eq!(group.users.len(), 6);
        for u in &group.users {
            let person = group
                .people
                .iter()
                .find(|p| p.employee_no == u.employee_no)
                .expect("user's person exists");
            if let Some(company) = u.company_code {
                assert_eq!(person.company_code, company, "{}", u.username);
            }
        }
        let by_name = |name: &str| {
            group
                .users
                .iter()
                .find(|u| u.username == name)
                .expect("user exists")
        };
        let ciso = by_name("ciso");
        assert_eq!(ciso.role, "ciso_office");
        assert_eq!(ciso.company_code, None);
        assert!(ciso.employee_no.starts_with("HD"));
        assert_eq!(by_name("auditor.cgo").company_code, Some("CGO"));
        let employee = group
            .people
            .iter()
            .find(|p| p.employee_no == by_name("employee").employee_no)
            .expect("employee exists");
        assert_eq!(employee.employment, EMPLOYEE);
    }
}
