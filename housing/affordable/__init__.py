"""Affordable rental housing (保障性租赁住房): the published projects, applying, and the waiting list.

This part of the housing app has the files of an app of its own (casetype, services, selectors, views, forms,
admin, api/); its models stay in housing/models.py (HousingProject, UnitType, HousingApplication) and its pages
are routed in housing/urls.py. An application is a case of type "affordable_housing" (casetype.py), so
documents, submitting, the one-time missing-documents notice, approval, refusal with reasons and withdrawal are
the generic casework (cases.services.case_*) and its pages; what is particular to housing is here:

- who may apply: a valid residence permit (居住证, read through residents.selectors) and one application at a
  time; the rest of the published conditions (income, no home owned in the district) the caseworker checks from
  the documents;
- the waiting list (轮候名单): the approved applications of one unit type, first come, first served by the day
  the application was submitted (受理时间), then by case number;
- the offer (分配房源): a caseworker gives the first on the list a flat, which moves the case to "issued";
  moving in moves it to "delivered". An approved applicant may leave the list (withdraw), and may turn an offer
  down (withdraw) too.
"""
