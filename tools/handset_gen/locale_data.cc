#include "tools/handset_gen/locale_data.h"

#include <string_view>

namespace holdfast::handset_gen {
namespace {

using SV = std::string_view;

// ---- English (United States) ------------------------------------------------
constexpr SV kEnGiven[] = {"James",  "Mary",    "Robert", "Patricia", "Michael", "Jennifer",
                           "David",  "Linda",   "Olivia", "Liam",     "Noah",    "Emma",
                           "Sophia", "Aaliyah", "Zoë",    "Chloé"};
constexpr SV kEnFamily[] = {"Smith",  "Johnson",  "Williams", "Brown",       "O'Connor",
                            "Miller", "Davis",    "Taylor",   "Anderson",    "Thompson",
                            "Walker", "Martinez", "Nguyen",   "Van der Berg"};
constexpr PostalAddress kEnAddresses[] = {
    {"# Maple Street", "Springfield", "IL", "62704"},
    {"# Oak Avenue, Apt 4B", "Portland", "OR", "97205"},
    {"# Market Street, Suite 300", "San Francisco", "CA", "94105"},
    {"# Peachtree Road NE", "Atlanta", "GA", "30309"},
};
constexpr SV kEnOrgs[] = {"Acme Corporation", "Globex, Inc.", "Initech; R&D", "Northwind Traders",
                          "Contoso Ltd."};
constexpr SV kEnSentences[] = {
    "Met at the conference in Denver; she works on battery firmware.",
    "Prefers text messages over calls, especially before 10 a.m.",
    "Kids: Max (2014) and Ellie (2017), both allergic to peanuts.",
    "Owes me $20 for the concert tickets, and a book: \"The Overstory\".",
    "Gate code is 4521#, parking behind the bakery on the left.",
    "Remember to ask about the roof repair quote, the one from March.",
    "Brought lasagna to the potluck last year; everybody loved it.",
};
constexpr SV kEnEvents[] = {"Dentist appointment",
                            "Team stand-up",
                            "Lunch with Sarah",
                            "Flight to Boston, gate B12",
                            "Parent-teacher meeting; bring forms",
                            "Quarterly review"};
constexpr SV kEnTasks[] = {"Buy milk", "Renew passport", "Call the plumber, again",
                           "File tax return", "Book flights for Thanksgiving"};

// ---- French -----------------------------------------------------------------
constexpr SV kFrGiven[] = {"François", "Élodie", "Hélène", "Loïc",   "Chloé",
                           "Jérôme",   "Maëlle", "Noël",   "Amélie", "Cédric"};
constexpr SV kFrFamily[] = {"Lefèvre", "Dubois",   "Moreau",   "Girard",   "Bérenger",
                            "Faure",   "Rousseau", "Lemaître", "Châtelain"};
constexpr PostalAddress kFrAddresses[] = {
    {"# rue de la Paix", "Paris", "Île-de-France", "75002"},
    {"# avenue Jean Médecin", "Nice", "Provence-Alpes-Côte d'Azur", "06000"},
    {"# place Bellecour", "Lyon", "Auvergne-Rhône-Alpes", "69002"},
};
constexpr SV kFrOrgs[] = {"Société Générale d'Études", "Boulangerie Pâtissière Lefèvre",
                          "Crédit Agricole, agence Bellecour"};
constexpr SV kFrSentences[] = {
    "Rencontré au mariage de Sophie ; très sympathique, il parle aussi allemand.",
    "Préfère qu'on l'appelle après 18 h, sauf le mercredi.",
    "A prêté la perceuse en février, à lui rendre avant l'été.",
    "Allergique aux fruits à coque — attention au gâteau d'anniversaire.",
};
constexpr SV kFrEvents[] = {"Rendez-vous chez le médecin", "Réunion d'équipe",
                            "Déjeuner avec Élodie", "Anniversaire de Loïc"};
constexpr SV kFrTasks[] = {"Acheter du pain", "Renouveler le passeport",
                           "Réserver le gîte pour août"};

// ---- German -----------------------------------------------------------------
constexpr SV kDeGiven[] = {"Jürgen",    "Jörg",  "Günther", "Märta", "Björn",
                           "Anneliese", "Lukas", "Sören",   "Käthe", "Maximilian"};
constexpr SV kDeFamily[] = {"Müller",   "Schäfer", "Groß",  "Weiß", "Köhler",
                            "Schröder", "Bäcker",  "Fuchs", "Löwe"};
constexpr PostalAddress kDeAddresses[] = {
    {"Hauptstraße #", "München", "Bayern", "80331"},
    {"Königsallee #", "Düsseldorf", "Nordrhein-Westfalen", "40212"},
    {"Straße des 17. Juni #", "Berlin", "", "10623"},
};
constexpr SV kDeOrgs[] = {"Müller & Söhne GmbH", "Bäckerei Groß", "Stadtwerke Düsseldorf AG"};
constexpr SV kDeSentences[] = {
    "Kennen uns aus dem Studium in Göttingen; spielt Cello im Kammerorchester.",
    "Hat den Schlüssel für die Garage, bitte vor Weihnachten zurückholen.",
    "Geburtstagsgeschenk 2022: Kochbuch über österreichische Küche.",
    "Ruft meistens während der Mittagspause an, zwischen 12 und 13 Uhr.",
};
constexpr SV kDeEvents[] = {"Zahnarzttermin", "Besprechung: Quartalsplanung",
                            "Geburtstag von Jürgen", "Elternabend in der Schule"};
constexpr SV kDeTasks[] = {"Steuererklärung abgeben", "Reifen wechseln",
                           "Blumen gießen (Nachbarin)"};

// ---- Spanish ----------------------------------------------------------------
constexpr SV kEsGiven[] = {"José",  "María",  "Begoña", "Iñaki",  "Ángel",
                           "Lucía", "Álvaro", "Núria",  "Joaquín"};
constexpr SV kEsFamily[] = {"García", "Fernández", "Muñoz",   "Ibáñez",
                            "Peña",   "Martín",    "Sánchez", "Núñez"};
constexpr PostalAddress kEsAddresses[] = {
    {"Calle de Alcalá, #", "Madrid", "Comunidad de Madrid", "28014"},
    {"Passeig de Gràcia, #", "Barcelona", "Cataluña", "08007"},
    {"Avenida de la Constitución, #", "Sevilla", "Andalucía", "41004"},
};
constexpr SV kEsOrgs[] = {"Telefónica España", "Panadería La Peña", "Construcciones Muñoz S.L."};
constexpr SV kEsSentences[] = {
    "Nos conocimos en la boda de Lucía; trabaja en el hospital de día.",
    "Prefiere WhatsApp antes que llamadas, sobre todo por la mañana.",
    "Le debo la cena del cumpleaños; le gusta la paella de marisco.",
    "¿Recordar preguntar por el piso de alquiler en Málaga?",
};
constexpr SV kEsEvents[] = {"Cita con el médico", "Reunión de equipo", "Cumpleaños de Begoña",
                            "Cena en casa de la abuela"};
constexpr SV kEsTasks[] = {"Comprar el regalo de Íñigo", "Pagar la comunidad",
                           "Llamar al fontanero"};

// ---- Norwegian --------------------------------------------------------------
constexpr SV kNbGiven[] = {"Søren", "Åse", "Bjørn", "Ingrid", "Øystein", "Solveig"};
constexpr SV kNbFamily[] = {"Håkonsen", "Løvås", "Ødegård", "Aasen", "Bråten"};
constexpr PostalAddress kNbAddresses[] = {
    {"Karl Johans gate #", "Oslo", "", "0154"},
    {"Bryggen #", "Bergen", "Vestland", "5003"},
};
constexpr SV kNbOrgs[] = {"Bryggeriet på Løkka AS", "Ålesund Fiskeri"};
constexpr SV kNbSentences[] = {
    "Naboen på hytta i Ål; har nøkkel til båthuset.",
    "Liker ikke å bli ringt på søndager.",
};
constexpr SV kNbEvents[] = {"Legetime", "Møte med styret", "Hyttetur til Ålesund"};
constexpr SV kNbTasks[] = {"Bestille ferje", "Måke snø"};

// ---- Polish -----------------------------------------------------------------
constexpr SV kPlGiven[] = {"Łukasz", "Małgorzata", "Grzegorz", "Żaneta", "Paweł", "Jolanta"};
constexpr SV kPlFamily[] = {"Wójcik", "Dąbrowski", "Kowalczyk", "Szymański", "Woźniak", "Łęcka"};
constexpr PostalAddress kPlAddresses[] = {
    {"ul. Świętokrzyska #", "Warszawa", "mazowieckie", "00-116"},
    {"ul. Floriańska #", "Kraków", "małopolskie", "31-019"},
};
constexpr SV kPlOrgs[] = {"Przedsiębiorstwo Handlowe Żak", "Łódzka Spółdzielnia"};
constexpr SV kPlSentences[] = {
    "Poznaliśmy się na żaglach na Mazurach; świetnie gotuje pierogi.",
    "Zadzwonić w sprawie mieszkania przed końcem miesiąca.",
};
constexpr SV kPlEvents[] = {"Wizyta u dentysty", "Spotkanie zespołu", "Urodziny Łukasza"};
constexpr SV kPlTasks[] = {"Zapłacić czynsz", "Odebrać paczkę z paczkomatu"};

// ---- Vietnamese -------------------------------------------------------------
constexpr SV kViGiven[] = {"Đức", "Hương", "Tuấn", "Ngọc Ánh", "Phương", "Quỳnh"};
constexpr SV kViFamily[] = {"Nguyễn", "Trần", "Phạm", "Lê", "Hoàng", "Đặng"};
constexpr PostalAddress kViAddresses[] = {
    {"# Đường Lê Lợi, Quận 1", "Thành phố Hồ Chí Minh", "", "700000"},
    {"# Phố Hàng Bạc, Hoàn Kiếm", "Hà Nội", "", "100000"},
};
constexpr SV kViOrgs[] = {"Công ty TNHH Phúc Lộc", "Ngân hàng Á Châu"};
constexpr SV kViSentences[] = {
    "Bạn học cũ ở Đà Nẵng; rất thích cà phê sữa đá.",
    "Gọi điện trước khi đến nhà, thường bận vào buổi chiều.",
};
constexpr SV kViEvents[] = {"Họp nhóm", "Khám răng", "Sinh nhật bà ngoại"};
constexpr SV kViTasks[] = {"Mua quà Tết", "Đóng tiền điện"};

// ---- Turkish ----------------------------------------------------------------
constexpr SV kTrGiven[] = {"Gül", "Şükrü", "Ayşe", "Çağlar", "Özlem", "İbrahim"};
constexpr SV kTrFamily[] = {"Yılmaz", "Şahin", "Öztürk", "Çelik", "Doğan", "Aydın"};
constexpr PostalAddress kTrAddresses[] = {
    {"İstiklal Caddesi No: #", "İstanbul", "Beyoğlu", "34430"},
    {"Atatürk Bulvarı No: #", "Ankara", "Çankaya", "06680"},
};
constexpr SV kTrOrgs[] = {"Öztürk Tekstil A.Ş.", "Çelik Yapı Ltd. Şti."};
constexpr SV kTrSentences[] = {
    "Üniversiteden arkadaşım; İzmir'de yaşıyor, iki kedisi var.",
    "Cumartesi günleri aramamak lazım, pazarda çalışıyor.",
};
constexpr SV kTrEvents[] = {"Diş hekimi randevusu", "Ekip toplantısı", "Doğum günü partisi"};
constexpr SV kTrTasks[] = {"Faturayı öde", "Çiçekleri sula"};

// ---- Russian ----------------------------------------------------------------
constexpr SV kRuGiven[] = {"Алексей", "Наталья", "Дмитрий", "Ёлка",    "Сергей",
                           "Татьяна", "Юрий",    "Ксения",  "Владимир"};
constexpr SV kRuFamily[] = {"Иванов",  "Смирнова", "Кузнецов", "Попова",
                            "Соколов", "Лебедева", "Щербаков", "Фёдоров"};
constexpr PostalAddress kRuAddresses[] = {
    {"ул. Тверская, д. #", "Москва", "", "125009"},
    {"Невский проспект, д. #, кв. 12", "Санкт-Петербург", "", "191186"},
    {"ул. Ленина, д. #", "Екатеринбург", "Свердловская область", "620014"},
};
constexpr SV kRuOrgs[] = {"ООО «Ромашка»", "Сбербанк, отделение №7", "АО «Северсталь»"};
constexpr SV kRuSentences[] = {
    "Познакомились на даче у Сергея; отлично готовит борщ и пельмени.",
    "Звонить только после семи вечера, днём на работе без телефона.",
    "Взял в долг книгу «Мастер и Маргарита», вернуть до Нового года.",
    "День рождения отмечает всегда в субботу, ближайшую к дате.",
};
constexpr SV kRuEvents[] = {"Встреча с клиентом", "Приём у врача", "День рождения Наташи",
                            "Планёрка"};
constexpr SV kRuTasks[] = {"Оплатить квартплату", "Купить подарок маме", "Записаться к врачу"};

// ---- Greek ------------------------------------------------------------------
constexpr SV kElGiven[] = {"Γιώργος", "Ελένη", "Δημήτρης", "Μαρία", "Νίκος", "Αικατερίνη"};
constexpr SV kElFamily[] = {"Παπαδόπουλος", "Οικονόμου", "Γεωργίου", "Νικολάου", "Αθανασίου"};
constexpr PostalAddress kElAddresses[] = {
    {"Οδός Ερμού #", "Αθήνα", "Αττική", "105 63"},
    {"Λεωφόρος Νίκης #", "Θεσσαλονίκη", "Κεντρική Μακεδονία", "546 24"},
};
constexpr SV kElOrgs[] = {"Εθνική Τράπεζα της Ελλάδος", "Φούρνος Ο Παππούς"};
constexpr SV kElSentences[] = {
    "Γνωριστήκαμε στη Νάξο το καλοκαίρι· δουλεύει ως αρχιτέκτονας.",
    "Προτιμά μηνύματα αντί για κλήσεις, ειδικά το πρωί.",
};
constexpr SV kElEvents[] = {"Ραντεβού με τον οδοντίατρο", "Σύσκεψη ομάδας", "Γενέθλια της Ελένης"};
constexpr SV kElTasks[] = {"Πληρωμή ΔΕΗ", "Αγορά δώρου"};

// ---- Arabic -----------------------------------------------------------------
constexpr SV kArGiven[] = {"محمد", "فاطمة", "أحمد", "عائشة", "يوسف", "مريم", "عبد الله"};
constexpr SV kArFamily[] = {"العلي", "الحسن", "المنصور", "الشمري", "القحطاني", "الخطيب"};
constexpr PostalAddress kArAddresses[] = {
    {"# شارع الملك فهد", "الرياض", "منطقة الرياض", "12211"},
    {"# شارع التحلية", "جدة", "منطقة مكة المكرمة", "23431"},
};
constexpr SV kArOrgs[] = {"شركة الاتصالات السعودية", "مخبز الأمل"};
constexpr SV kArSentences[] = {
    "تعرفنا في المؤتمر بدبي، يعمل مهندساً في شركة الطاقة.",
    "يفضل الرسائل النصية بدلاً من المكالمات بعد صلاة العشاء.",
    "موعد تسليم المشروع في نهاية الشهر، يجب التذكير قبل أسبوع.",
};
constexpr SV kArEvents[] = {"اجتماع الفريق", "موعد مع الطبيب", "عيد ميلاد أحمد"};
constexpr SV kArTasks[] = {"دفع فاتورة الكهرباء", "شراء هدية العيد"};

// ---- Hebrew -----------------------------------------------------------------
constexpr SV kHeGiven[] = {"דוד", "שרה", "יוסף", "מיכל", "אבי", "נועה"};
constexpr SV kHeFamily[] = {"כהן", "לוי", "מזרחי", "פרץ", "ביטון", "אברהם"};
constexpr PostalAddress kHeAddresses[] = {
    {"רחוב הרצל #", "תל אביב-יפו", "", "6688101"},
    {"רחוב יפו #", "ירושלים", "", "9434101"},
};
constexpr SV kHeOrgs[] = {"בנק הפועלים", "מאפיית אבולעפיה"};
constexpr SV kHeSentences[] = {
    "הכרנו בטיול לאילת; עובדת כמהנדסת תוכנה בחיפה.",
    "לא להתקשר בשבת, עדיף לשלוח הודעה ביום ראשון.",
};
constexpr SV kHeEvents[] = {"פגישת צוות", "תור לרופא שיניים", "יום הולדת לדנה"};
constexpr SV kHeTasks[] = {"לשלם ארנונה", "לקנות חלב"};

// ---- Hindi (Devanagari) -----------------------------------------------------
constexpr SV kHiGiven[] = {"अमित", "प्रिया", "राहुल", "सुनीता", "विक्रम", "अनन्या"};
constexpr SV kHiFamily[] = {"शर्मा", "वर्मा", "गुप्ता", "पटेल", "सिंह", "कुमार"};
constexpr PostalAddress kHiAddresses[] = {
    {"# महात्मा गांधी मार्ग", "नई दिल्ली", "दिल्ली", "110001"},
    {"# लिंकिंग रोड, बांद्रा", "मुंबई", "महाराष्ट्र", "400050"},
};
constexpr SV kHiOrgs[] = {"भारतीय स्टेट बैंक", "शर्मा ट्रेडर्स प्राइवेट लिमिटेड"};
constexpr SV kHiSentences[] = {
    "कॉलेज के दोस्त हैं; पुणे में सॉफ़्टवेयर इंजीनियर हैं।",
    "दिवाली पर मिठाई भेजनी है, पता दोबारा पूछ लेना।",
    "सुबह दस बजे से पहले फ़ोन न करें।",
};
constexpr SV kHiEvents[] = {"टीम बैठक", "डॉक्टर से मुलाक़ात", "माँ का जन्मदिन"};
constexpr SV kHiTasks[] = {"बिजली का बिल भरना", "राखी भेजना"};

// ---- Chinese (simplified) ---------------------------------------------------
constexpr SV kZhGiven[] = {"伟", "芳", "娜", "秀英", "敏", "静", "强", "晓明"};
constexpr SV kZhFamily[] = {"王", "李", "张", "刘", "陈", "杨", "欧阳"};
constexpr PostalAddress kZhAddresses[] = {
    {"中关村大街#号", "北京市", "海淀区", "100080"},
    {"南京东路#号", "上海市", "黄浦区", "200001"},
    {"天河路#号", "广州市", "广东省", "510620"},
};
constexpr SV kZhOrgs[] = {"华为技术有限公司", "北京新东方学校", "上海小笼包店"};
constexpr SV kZhSentences[] = {
    "大学同学，现在在深圳做硬件设计，喜欢爬山。",
    "下午三点以后比较方便接电话，周末一般不回消息。",
    "借了一本《三体》，记得春节前还给他。",
};
constexpr SV kZhEvents[] = {"团队例会", "看牙医", "和王伟吃午饭", "春节聚会"};
constexpr SV kZhTasks[] = {"交水电费", "买火车票", "给妈妈打电话"};

// ---- Japanese ---------------------------------------------------------------
constexpr SV kJaGiven[] = {"花子", "太郎", "さくら", "健太", "ゆい", "翔"};
constexpr SV kJaFamily[] = {"佐藤", "鈴木", "高橋", "田中", "渡辺", "伊藤"};
constexpr PostalAddress kJaAddresses[] = {
    {"丸の内#-1-1", "千代田区", "東京都", "100-0005"},
    {"梅田#-3-1", "大阪市北区", "大阪府", "530-0001"},
};
constexpr SV kJaOrgs[] = {"株式会社サンプル商事", "ラーメン一番", "東京大学 工学部"};
constexpr SV kJaSentences[] = {
    "大学時代の先輩で、今は名古屋で働いている。",
    "電話よりLINEの方が早く返事が来る。",
    "お土産は甘いものが好き、特に抹茶のお菓子。",
};
constexpr SV kJaEvents[] = {"定例会議", "歯医者の予約", "誕生日パーティー", "新幹線で大阪へ"};
constexpr SV kJaTasks[] = {"牛乳を買う", "年賀状を書く"};

// ---- Korean -----------------------------------------------------------------
constexpr SV kKoGiven[] = {"민준", "서연", "지호", "하은", "도윤", "수빈"};
constexpr SV kKoFamily[] = {"김", "이", "박", "최", "정", "강"};
constexpr PostalAddress kKoAddresses[] = {
    {"세종대로 #", "서울특별시 중구", "", "04524"},
    {"해운대로 #", "부산광역시 해운대구", "", "48094"},
};
constexpr SV kKoOrgs[] = {"삼성전자 주식회사", "행복 베이커리"};
constexpr SV kKoSentences[] = {
    "대학교 동기이고 지금은 판교에서 개발자로 일한다.",
    "주말에는 전화보다 카카오톡이 편하다고 함.",
};
constexpr SV kKoEvents[] = {"팀 회의", "치과 예약", "엄마 생신"};
constexpr SV kKoTasks[] = {"관리비 내기", "택배 보내기"};

// ---- Thai -------------------------------------------------------------------
constexpr SV kThGiven[] = {"สมชาย", "สุดา", "ประเสริฐ", "มาลี", "วิชัย"};
constexpr SV kThFamily[] = {"ใจดี", "ศรีสุข", "วงศ์สวัสดิ์", "แก้วมณี", "บุญมา"};
constexpr PostalAddress kThAddresses[] = {
    {"# ถนนสุขุมวิท", "กรุงเทพมหานคร", "", "10110"},
    {"# ถนนนิมมานเหมินท์", "เชียงใหม่", "", "50200"},
};
constexpr SV kThOrgs[] = {"ธนาคารกสิกรไทย", "ร้านกาแฟบ้านสวน"};
constexpr SV kThSentences[] = {
    "เพื่อนสมัยเรียนมหาวิทยาลัยชอบทำอาหารไทยภาคเหนือ",
    "โทรหาได้หลังหกโมงเย็นเท่านั้น",
};
constexpr SV kThEvents[] = {"ประชุมทีม", "นัดหมอฟัน", "วันเกิดแม่"};
constexpr SV kThTasks[] = {"จ่ายค่าไฟ", "ซื้อของขวัญ"};

#define HF_LOCALE(tag, country, code, family_first, no_space, p)                            \
  LocaleData {                                                                              \
    tag, country, code, family_first, no_space, p##Given, p##Family, p##Addresses, p##Orgs, \
        p##Sentences, p##Events, p##Tasks                                                   \
  }

const LocaleData kLocales[] = {
    HF_LOCALE("en-US", "USA", "+1", false, false, kEn),
    HF_LOCALE("fr", "France", "+33", false, false, kFr),
    HF_LOCALE("de", "Deutschland", "+49", false, false, kDe),
    HF_LOCALE("es", "España", "+34", false, false, kEs),
    HF_LOCALE("nb", "Norge", "+47", false, false, kNb),
    HF_LOCALE("pl", "Polska", "+48", false, false, kPl),
    HF_LOCALE("vi", "Việt Nam", "+84", true, false, kVi),
    HF_LOCALE("tr", "Türkiye", "+90", false, false, kTr),
    HF_LOCALE("ru", "Россия", "+7", false, false, kRu),
    HF_LOCALE("el", "Ελλάδα", "+30", false, false, kEl),
    HF_LOCALE("ar", "المملكة العربية السعودية", "+966", false, false, kAr),
    HF_LOCALE("he", "ישראל", "+972", false, false, kHe),
    HF_LOCALE("hi", "भारत", "+91", false, false, kHi),
    HF_LOCALE("zh-CN", "中国", "+86", true, true, kZh),
    HF_LOCALE("ja", "日本", "+81", true, true, kJa),
    HF_LOCALE("ko", "대한민국", "+82", true, true, kKo),
    HF_LOCALE("th", "ประเทศไทย", "+66", false, false, kTh),
};
#undef HF_LOCALE

constexpr int kLocaleWeights[] = {25, 7, 7, 7, 2, 4, 3, 3, 8, 3, 6, 3, 6, 7, 5, 3, 3};
static_assert(sizeof(kLocaleWeights) / sizeof(int) == sizeof(kLocales) / sizeof(LocaleData));

constexpr SV kEmailDomains[] = {"gmail.com", "outlook.com", "yahoo.com",   "icloud.com", "mail.ru",
                                "yandex.ru", "web.de",      "gmx.de",      "orange.fr",  "qq.com",
                                "163.com",   "naver.com",   "example.org", "example.com"};
constexpr SV kEmailSyllables[] = {"an", "bo", "ka", "li", "mi", "ra", "to", "zu", "el",
                                  "ni", "sa", "jo", "ve", "da", "ko", "yu", "ha", "ri"};
constexpr SV kJobTitles[] = {"Software Engineer", "Head of Sales",   "Nurse", "Accountant",
                             "Directeur général", "Projektleiterin", "教授",  "Менеджер"};
constexpr SV kCategories[] = {"Family", "Friends", "Work", "VIP", "Gym", "School", "Holiday"};
constexpr SV kEmoji[] = {"🎉", "📞", "🚗", "☕", "🏠", "❤️", "👍🏽", "🇯🇵", "👨‍👩‍👧"};

}  // namespace

std::span<const LocaleData> Locales() { return kLocales; }
std::span<const int> LocaleWeights() { return kLocaleWeights; }
std::span<const std::string_view> EmailDomains() { return kEmailDomains; }
std::span<const std::string_view> EmailSyllables() { return kEmailSyllables; }
std::span<const std::string_view> JobTitles() { return kJobTitles; }
std::span<const std::string_view> Categories() { return kCategories; }
std::span<const std::string_view> Emoji() { return kEmoji; }

const LocaleData& PickLocale(Rng& rng) { return kLocales[rng.Weighted(kLocaleWeights)]; }

std::string Prose(Rng& rng, const LocaleData& locale, int sentences, int paragraph_every) {
  // Chinese and Japanese put no space between sentences.
  const bool spaced = !(locale.tag == "zh-CN" || locale.tag == "ja");
  std::string out;
  for (int i = 0; i < sentences; ++i) {
    if (i > 0) {
      if (paragraph_every > 0 && rng.Below(static_cast<uint64_t>(paragraph_every)) == 0) {
        out += "\n\n";
      } else if (spaced) {
        out += ' ';
      }
    }
    out += rng.Pick(locale.sentences);
    if (rng.Percent(4)) {
      out += ' ';
      out += rng.Pick(std::span<const std::string_view>(kEmoji));
    }
  }
  return out;
}

}  // namespace holdfast::handset_gen
