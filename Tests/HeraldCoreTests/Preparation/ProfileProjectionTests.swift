import HeraldCore
import Testing

/// Which profile columns a preparation reads for given templates.
@Suite("Profile projection of templates")
struct ProfileProjectionTests {
    private static func field(_ name: String, in sections: [String] = []) -> TemplateAnalysis.Field {
        TemplateAnalysis.Field(name: name, line: 1, column: 1, enclosingSections: sections)
    }

    @Test("fields and attributes named, built-ins ignored")
    func namedFields() {
        let projection = ProfileProjection(templates: [
            TemplateAnalysis(fields: [Self.field("first_name"), Self.field("unsubscribe_url")]),
            TemplateAnalysis(fields: [
                Self.field("attributes.city"), Self.field("attributes.vip"), Self.field("last_name", in: ["attributes.vip"]),
                Self.field("view_id"),
            ]),
        ])
        #expect(projection.fields == ["first_name", "last_name"])
        #expect(projection.attributeKeys == ["city", "vip"])
        #expect(!projection.allAttributes)
        #expect(projection.includes(attribute: "city") && !projection.includes(attribute: "plan"))
    }

    @Test("the attributes section or value reads every attribute; tags read as a field")
    func wholeAttributes() {
        let inSection = ProfileProjection(templates: [
            TemplateAnalysis(fields: [Self.field("attributes"), Self.field("city", in: ["attributes"])]),
        ])
        #expect(inSection.allAttributes)
        #expect(inSection.includes(attribute: "anything"))
        let tags = ProfileProjection(templates: [TemplateAnalysis(fields: [Self.field("tags"), Self.field(".", in: ["tags"])])])
        #expect(tags.fields == ["tags"])
        #expect(!tags.allAttributes)
    }

    @Test("`.` outside any section reads the whole profile")
    func wholeProfile() {
        let projection = ProfileProjection(templates: [TemplateAnalysis(fields: [Self.field(".")])])
        #expect(projection == .all)
        #expect(projection.fields.isSuperset(of: ["first_name", "last_name", "locale", "time_zone", "tags"]))
        #expect(projection.allAttributes)
    }
}
